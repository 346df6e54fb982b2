/* Functions tk code must not use (as git's banned.h). Include last. */
#ifndef TK_BANNED_H
#define TK_BANNED_H
#define BANNED(f) sorry_##f##_is_banned_in_tk
#undef strcpy
#define strcpy(a, b) BANNED(strcpy)
#undef strcat
#define strcat(a, b) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(a, b) BANNED(strtok)
#undef atoi
#define atoi(a) BANNED(atoi)
#undef gets
#define gets(a) BANNED(gets)
#endif
