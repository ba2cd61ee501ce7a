podman_stop() { :; }
podman_reset() { :; }
