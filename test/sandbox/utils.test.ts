import { describe, expect, it } from 'vitest';
import { createUtils } from '../../src/sandbox/utils.js';

const utils = createUtils({ inTable: (t, v) => t === 'admins' && v === 'root' });

describe('utils', () => {
  it('matches with a JavaScript regular expression search', () => {
    expect(utils.matches('Demo V01', '([A-Za-z]+) V[0-9]*')).toBe(true);
    expect(utils.matches('demo', '^D')).toBe(false);
    expect(utils.matches(22, '^22$')).toBe(true);
    expect(utils.matches(undefined, 'undefined')).toBe(false);
  });

  it('compares text case-insensitively and by prefix or suffix, and is false for missing values', () => {
    expect(utils.includesIgnoreCase('PowerShell.EXE -enc', 'powershell.exe')).toBe(true);
    expect(utils.startsWith('/etc/passwd', '/etc/')).toBe(true);
    expect(utils.endsWith('evil.ru', '.ru')).toBe(true);
    expect(utils.startsWith(null, '')).toBe(false);
    expect(utils.lower('ÄB')).toBe('äb');
    expect(utils.upper('ab')).toBe('AB');
    expect(utils.lower(undefined)).toBeUndefined();
  });

  it('tests IPv4 and IPv6 addresses against CIDR networks', () => {
    expect(utils.cidrContains('10.0.0.0/8', '10.255.1.2')).toBe(true);
    expect(utils.cidrContains('10.0.0.0/8', '11.0.0.1')).toBe(false);
    expect(utils.cidrContains('192.168.1.7', '192.168.1.7')).toBe(true);
    expect(utils.cidrContains('0.0.0.0/0', '8.8.8.8')).toBe(true);
    expect(utils.cidrContains('2001:db8::/32', '2001:db8:1::5')).toBe(true);
    expect(utils.cidrContains('2001:db8::/32', '2001:db9::5')).toBe(false);
    expect(utils.cidrContains('fe80::/10', 'fe80::1%eth0')).toBe(true);
    expect(utils.cidrContains('10.0.0.0/8', '::ffff:10.1.2.3')).toBe(true);
    expect(utils.cidrContains('::ffff:10.0.0.0/104', '10.1.2.3')).toBe(true);
    expect(utils.cidrContains('::ffff:10.0.0.0/104', '11.1.2.3')).toBe(false);
    expect(utils.cidrContains('10.0.0.0/8', '2001:db8::1')).toBe(false);
    expect(utils.cidrContains('10.0.0.0/33', '10.0.0.1')).toBe(false);
    expect(utils.cidrContains('10.0.0.0/8', '10.0.0.256')).toBe(false);
    expect(utils.cidrContains('1::2::3/8', '1::2')).toBe(false);
  });

  it('asks the host about custom tables', () => {
    expect(utils.inTable('admins', 'root')).toBe(true);
    expect(utils.inTable('admins', 'ann')).toBe(false);
    expect(utils.inTable('admins', null)).toBe(false);
  });
});
