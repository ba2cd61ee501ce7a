export const KEEL_VERSION = '0.1.0';
