// Types of build/generated/syscalls.mjs, written by src/build/gen-syscalls.mjs.
declare module '*/generated/syscalls.mjs' {
  export const SYSCALLS: Record<'x86_64' | 'x86' | 'x32' | 'aarch64', Record<string, number>>;
}
