/**
 * The Node and V8 flags the long-lived shim runs with, which `start` puts before the bundle on
 * node's command line. They are the Makefile's SHIM_NODE_FLAGS, baked into the bundle by esbuild
 * (--define), so that whatever starts the shim reads them from one place; unbundled (the tests),
 * there are none. docs/containerd-shim.md has the figures that chose them.
 */
declare const KEEL_SHIM_NODE_FLAGS: string | undefined;

export function shimNodeFlags(): string[] {
  return typeof KEEL_SHIM_NODE_FLAGS === 'string' ? KEEL_SHIM_NODE_FLAGS.split(' ').filter(Boolean) : [];
}
