import { constants } from 'node:os';

const ERRNO_NUMBERS = constants.errno as Record<string, number>;

// The C library's wording, so that keel's messages read like every other Linux tool's.
const MESSAGES: Record<string, string> = {
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ESRCH: 'no such process',
  EINTR: 'interrupted system call',
  EIO: 'input/output error',
  ENXIO: 'no such device or address',
  E2BIG: 'argument list too long',
  ENOEXEC: 'exec format error',
  EBADF: 'bad file descriptor',
  EAGAIN: 'resource temporarily unavailable',
  ENOMEM: 'cannot allocate memory',
  EACCES: 'permission denied',
  EFAULT: 'bad address',
  EBUSY: 'device or resource busy',
  EEXIST: 'file exists',
  EXDEV: 'invalid cross-device link',
  ENODEV: 'no such device',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EINVAL: 'invalid argument',
  EMFILE: 'too many open files',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EPIPE: 'broken pipe',
  ENAMETOOLONG: 'file name too long',
  ENOSYS: 'function not implemented',
  ELOOP: 'too many levels of symbolic links',
  EPROTO: 'protocol error',
  EOPNOTSUPP: 'operation not supported',
  ENOTEMPTY: 'directory not empty',
};

export function errnoName(errno: number): string {
  for (const [name, value] of Object.entries(ERRNO_NUMBERS)) if (value === errno) return name;
  return `errno ${errno}`;
}

/** "no such file or directory" for ENOENT, given the number or the code name. */
export function strerror(errno: number | string): string {
  const name = typeof errno === 'number' ? errnoName(errno) : errno;
  return MESSAGES[name] ?? name;
}
