import { describe, expect, it } from 'vitest';
import { createUtils } from '../../src/lang/utils.js';
import { noModels } from '../fixtures/no-models.js';

const utils = createUtils({ inTable: (t, v) => t === 'admins' && v === 'root', classify: noModels });

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

describe('utils.flowFeatures', () => {
  it('sums bytes and packets, counts flows and distinct destinations and ports, flat or nested', () => {
    const flows = [
      { 'destination.ip': '10.0.0.1', 'destination.port': 22, 'network.bytes': 100, 'network.packets': 2 },
      { destination: { ip: '10.0.0.2', port: 22 }, network: { bytes: 50, packets: 1 } },
      { 'destination.ip': '10.0.0.1', 'destination.port': 80, 'network.bytes': '25', 'network.packets': null },
    ];
    expect(utils.flowFeatures(flows)).toMatchObject({ bytes: 175, flows: 3, packets: 3, distinctDestinations: 2, distinctDestinationPorts: 2 });
    expect(utils.flowFeatures([])).toEqual({ bytes: 0, flows: 0, packets: 0, distinctDestinations: 0, distinctDestinationPorts: 0, smallFlows: 0, failedConnections: 0, serverFlows: 0, sourceKey: 0 });
    expect(() => utils.flowFeatures('flows')).toThrow('utils.flowFeatures needs an array of flow events');
  });

  it('refuses features that are not an array or an object before asking the host', () => {
    expect(() => utils.classify('m', 5)).toThrow('utils.classify needs features');
    expect(() => utils.classify('m', [1, 2, 3, 4, 5])).toThrow("unknown model 'm'");
  });
});
