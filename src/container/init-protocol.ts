/**
 * The messages on the socket between keel and keel-init: enum keel_msg_type and struct keel_msg
 * in native/include/keel-plan.h, which test/unit/native-contract.test.ts compares with these.
 */

export const MSG = { PLAN_OK: 1, SYNC: 2, INIT_PID: 3, READY: 4, ERROR: 5, CONTINUE: 6, ABORT: 7, EXECUTING: 8, COMMIT: 9 } as const;

/** sizeof(struct keel_msg): every message is exactly this long (SOCK_SEQPACKET keeps them whole). */
export const MSG_SIZE = 256;

/** Where each field of struct keel_msg starts: four int32 (little endian), then detail up to MSG_SIZE, NUL-terminated. */
export const MSG_OFFSET = { type: 0, opIndex: 4, err: 8, value: 12, detail: 16 } as const;
