/* libFuzzer: what tk-pull reads from an image's JSON (lib/pull.c and
 * lib/json.c): one document taken as a manifest or index as a registry
 * serves it (manifest_type with a Content-Type, pick_platform,
 * manifest_check, the descriptors' digests), and as an image config
 * (config_diffids, the run defaults pull_publish keeps).
 *
 * Input: byte 0 picks the Content-Type and the platform asked for; the
 * rest is the JSON document. */
#include "../lib/pull.c"

static const char *const content_types[] = {
	"", MT_OCI_INDEX, MT_DOCKER_LIST, MT_OCI_MANIFEST, MT_DOCKER_MANIFEST,
	MT_OCI_CONFIG, "application/json", "text/html; charset=utf-8",
};

static const char *const platforms[] = {
	NULL, "linux/amd64", "linux/arm64/v8", "windows/amd64", "linux/arm/v7",
	"a/b/c/d", "/x", "linux/", "",
};

static void
as_manifest(json_t *doc, unsigned sel)
{
	char ct[64];
	struct platform pf;
	struct tk_err err = { 0 };
	const char *mt;
	json_t *cfg, *layers, *d, *l;
	size_t i;
	char hex[65];

	snprintf(ct, sizeof(ct), "%s", content_types[sel % 8]);
	plain_type(ct);
	mt = manifest_type(doc, ct, &err);
	if (!mt)
		return;
	if (type_is(mt, MT_OCI_INDEX, MT_DOCKER_LIST)) {
		if (platform_parse(platforms[(sel >> 3) % 9], &pf, &err) < 0)
			return;
		d = pick_platform(doc, &pf, &err);
		/* What pick_platform returns is a manifest descriptor of the
		 * platform asked for (pull_registry relies on it). */
		if (d && (!type_is(json_str(d, "mediaType"), MT_OCI_MANIFEST, MT_DOCKER_MANIFEST) ||
			  strcmp(json_str(json_object_get(d, "platform"), "os"), pf.os)))
			abort();
		if (d)
			(void)digest_parse(json_str(d, "digest"), hex, &err);
		return;
	}
	if (manifest_check(doc, mt, &cfg, &layers, &err) < 0)
		return;
	if (!json_is_array(layers) || json_array_size(layers) > TK_MAX_LAYERS)
		abort();
	(void)digest_parse(json_str(cfg, "digest"), hex, &err);
	json_array_foreach(layers, i, l) {
		if (digest_parse(json_str(l, "digest"), hex, &err) == 0 && !tk_valid_hex64(hex))
			abort();
	}
}

static void
as_config(json_t *doc)
{
	struct tk_err err = { 0 };
	cleanup_strv char **ids = NULL, **env = NULL, **ep = NULL, **cmd = NULL;
	cleanup_free char *wd = NULL, *user = NULL;
	json_t *rootfs = json_object_get(doc, "rootfs"), *c;
	size_t n = json_is_object(rootfs) ? json_array_size(json_object_get(rootfs, "diff_ids")) : 0;

	if (config_diffids(doc, n, &ids, &err) == 0) {
		if (strv_len(ids) != n)
			abort();
		for (size_t i = 0; i < n; i++)
			if (!tk_valid_hex64(ids[i]))
				abort();
	}
	c = json_object_get(doc, "config");
	if (json_is_object(c)) {
		if (json_strv(c, "Env", &env, &err) < 0 || json_strv(c, "Entrypoint", &ep, &err) < 0 ||
		    json_strv(c, "Cmd", &cmd, &err) < 0)
			return;
		wd = opt_strdup(c, "WorkingDir");
		user = opt_strdup(c, "User");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cleanup_json json_t *doc = NULL;
	struct tk_err err = { 0 };

	if (size < 1 || size > META_MAX)
		return 0;
	doc = json_parse_object((const char *)data + 1, size - 1, "fuzz input", &err);
	if (!doc)
		return 0;
	as_manifest(doc, data[0]);
	as_config(doc);
	return 0;
}
