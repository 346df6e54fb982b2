# bash completion for tk and its tools (tk-run, tk-exec, ...): options,
# container names and IDs, image names. Installed by `make install` as
# one file per command name.

_tk_containers() {
	# $1: all (default) or running
	local flag=-a
	test "$1" = running && flag=
	tk-ls $flag -o json 2>/dev/null |
		sed -n 'h; s/.*"id":"\([0-9a-f]\{12\}\).*/\1/p; g; s/.*"name":"\([^"]*\)".*/\1/p'
}

_tk_images() {
	tk-ls --images -n 2>/dev/null | awk '$1 != "<none>" { print $1 }'
}

_tk_tool() {
	local tool=$1 cur=$2 prev=$3 opts
	case $tool in
	run)     opts="-d --detach -t --tty -i --interactive --init --rm --name -e --env -w --workdir -u --user -h --hostname --entrypoint --net --userns --log-size -m --memory-max --cpus --pids-max --security-opt --root --help" ;;
	exec)    opts="-t --tty -i --interactive -e --env -w --workdir -u --user --root --help" ;;
	logs)    opts="-f --follow -n --tail -t --timestamps --root --help" ;;
	stop)    opts="-t --time -s --signal --root --help" ;;
	start)   opts="-a --attach --root --help" ;;
	inspect) opts="-c --compact --root --help" ;;
	rm)      opts="-f --force -r --image-too --image --unused -z --root --help" ;;
	ls|ps)   opts="-a --all --running --exited -q --quiet -n --no-heading -o --output --images --root --help" ;;
	pull)    opts="-q --name --root --help" ;;
	*)       opts="--help" ;;
	esac
	case $prev in
	-t)
		# a value only for tk-stop's -t SECONDS
		[ "$tool" = stop ] && { COMPREPLY=(); return; } ;;
	--root|-w|--workdir|--log-size|-e|--env|-h|--hostname|--name|--entrypoint|-n|--tail|--time|-m|--memory-max|--cpus|--pids-max)
		COMPREPLY=(); return ;;
	-s|--signal)
		COMPREPLY=($(compgen -W "TERM INT HUP QUIT KILL USR1 USR2" -- "$cur")); return ;;
	--net|--network)
		COMPREPLY=($(compgen -W "none host" -- "$cur")); return ;;
	-o|--output)
		COMPREPLY=($(compgen -W "json" -- "$cur")); return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	case $tool in
	run)  COMPREPLY=($(compgen -W "$(_tk_images)" -- "$cur")) ;;
	exec|stop) COMPREPLY=($(compgen -W "$(_tk_containers running)" -- "$cur")) ;;
	logs|start|inspect) COMPREPLY=($(compgen -W "$(_tk_containers)" -- "$cur")) ;;
	rm)
		local w
		for w in "${COMP_WORDS[@]}"; do
			if [ "$w" = --image ]; then
				COMPREPLY=($(compgen -W "$(_tk_images)" -- "$cur"))
				return
			fi
		done
		COMPREPLY=($(compgen -W "$(_tk_containers)" -- "$cur")) ;;
	esac
}

_tk_dash() {
	local tool=${1##*/}
	_tk_tool "${tool#tk-}" "$2" "$3"
}

_tk_front() {
	local cur=$2 prev=$3
	if [ "$COMP_CWORD" = 1 ]; then
		COMPREPLY=($(compgen -W "pull run exec logs stop start inspect ls ps rm images rmi stats login logout help" -- "$cur"))
		return
	fi
	local sub=${COMP_WORDS[1]}
	case $sub in
	images) sub=ls ;;
	rmi) sub=rm ;;
	logout) sub=login ;;
	esac
	_tk_tool "$sub" "$cur" "$prev"
}

complete -F _tk_front tk
complete -F _tk_dash tk-run tk-exec tk-logs tk-stop tk-start tk-inspect tk-rm tk-ls tk-pull
