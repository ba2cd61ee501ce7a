/*
 * containerd's rules for a shim's `start`, as pure functions: which containers share a shim
 * (the group), where that shim listens (the socket address), and the operator's settings (the
 * shim config the runtime options on start's stdin name). Errors are written to error (one line,
 * no newline) and the function returns 0.
 */
#ifndef KEEL_SHIM_RULES_H
#define KEEL_SHIM_RULES_H
#include <stddef.h>
#include <stdint.h>

/* containerd 1.6/1.7 put shim sockets here, whatever its own state directory. */
#define SHIM_SOCKET_DIR "/run/containerd/s"
#define SHIM_ADDRESS_SIZE (sizeof("unix://" SHIM_SOCKET_DIR "/") + 64)

/* Go's filepath.Join: the non-empty elements joined by '/', then cleaned as filepath.Clean does. malloc'd. */
char *go_path_join(const char *const *elems, size_t n);

/* unix://SHIM_SOCKET_DIR/<sha256 hex of go_path_join(containerd address, namespace, group)>. */
int shim_socket_address(const char *containerd_address, const char *ns, const char *group, char out[SHIM_ADDRESS_SIZE]);

/*
 * The group of container id from its bundle's config.json: the first non-empty annotation of
 * io.containerd.runc.v2.group, io.kubernetes.cri.sandbox-id (runc's shim's order), else the id.
 * *group is malloc'd.
 */
int shim_group(const char *config, size_t len, const char *id, char **group, char *error, size_t error_size);

/* How containers share shims: runc's rule (a pod, else the container alone), or one per namespace. */
enum shim_grouping {
	GROUP_BY_POD,
	GROUP_BY_NAMESPACE,
};

/*
 * The config file the runtime options name, from what containerd wrote on start's stdin: a
 * protobuf Any of runtimeoptions.v1.Options (the CRI plugin's options for a runtime type it does
 * not know, ctr's --runtime-config-path). *path is NULL (and 1 returned) for no options or other
 * options; malloc'd otherwise.
 */
int shim_options_config_path(const unsigned char *any, size_t len, char **path, char *error, size_t error_size);

/*
 * A shim config file: a JSON object with at most the keys "shimGroup" ("pod", the default, or
 * "namespace") and "systemdCgroup" (true, or false, the default: the long-lived shim's Create
 * reads it). Anything else is refused, so that a misspelt key is not a silent default.
 * src/shim/shim-config.ts reads the same file in Create by the same rules and words.
 */
struct shim_config {
	enum shim_grouping grouping;
	int systemd_cgroup;
};
int shim_config_of(const char *config, size_t len, struct shim_config *out, char *error, size_t error_size);

/*
 * The root the Node shim kept a container's state under, from the bundle's keel-shim.json (what
 * its Create wrote there: {"root": "..."}; src/shim/task-service.ts BUNDLE_STATE_FILE). *root is
 * malloc'd; 0 if the file is not that.
 */
#define SHIM_BUNDLE_STATE_FILE "keel-shim.json"
int shim_state_root(const char *bundle_state, size_t len, char **root, char *error, size_t error_size);

/* Whether id can name a container directory as keel's state store makes it (no '/', no '@', not "." or ".."). */
int shim_plain_id(const char *id);

/*
 * containerd.task.v2.DeleteResponse {pid, exit_status, exited_at {seconds, nanos}} in proto3's
 * wire format (fields at their defaults left out, as protoc writes them). Returns the length.
 */
#define SHIM_DELETE_RESPONSE_MAX 40
size_t shim_delete_response(uint32_t pid, uint32_t exit_status, int64_t seconds, int32_t nanos, unsigned char out[SHIM_DELETE_RESPONSE_MAX]);

#endif
