import { parseExpressionAt } from 'acorn';
import { describe, expect, it } from 'vitest';
import { isSafeRegex, nativeUnsafeReason } from '../../src/lang/native-safety.js';

const reasonFor = (text: string) => nativeUnsafeReason(parseExpressionAt(text, 0, { ecmaVersion: 'latest' }));

describe('isSafeRegex', () => {
  it.each(['([A-Za-z]+) V[0-9]*', '^admin$', 'a+b*c?', '(ab)+', '[(+*)]+', '(?:foo|bar)', 'x{2,5}', '\\d+\\.\\d+'])('accepts %s', (p) => {
    expect(isSafeRegex(p)).toBe(true);
  });
  it.each(['(a+)+$', '(a*)*', '(a|a)*', '(\\w+\\s?)+$', '(x+x+)+y', '(a)\\1', '((ab)*)+', '(a{1,}){2,}'])('refuses %s', (p) => {
    expect(isSafeRegex(p)).toBe(false);
  });
});

describe('nativeUnsafeReason', () => {
  it('lets bounded functions compile natively', () => {
    expect(reasonFor(`function (e) { return utils.matches(e.tag, '([A-Za-z]+) V[0-9]*') && /^a/.test(e.x); }`)).toBeUndefined();
    expect(reasonFor(`function (events) { return events.filter(e => e.ok).length > 2; }`)).toBeUndefined();
    expect(reasonFor(`function (a) { return a.map(x => x.ip).filter((ip, i, all) => all.indexOf(ip) === i); }`)).toBeUndefined();
  });

  it('sends unbounded functions to the sandbox, saying why', () => {
    expect(reasonFor(`function (e) { return utils.matches(e.x, e.pattern); }`)).toMatch(/not a string literal/);
    expect(reasonFor(`function (e) { return utils.matches(e.x, '(a+)+$'); }`)).toMatch(/backtrack/);
    expect(reasonFor(`function (e) { return /(a|a)*$/.test(e.x); }`)).toMatch(/backtrack/);
    expect(reasonFor(`function (e) { return e.x.padStart(e.n).length; }`)).toMatch(/padStart/);
    expect(reasonFor(`function (e) { return e.x.match(e.y); }`)).toMatch(/not a literal/);
    expect(reasonFor(`function (events) { return events.some(a => events.some(b => a.id != b.id)); }`)).toMatch(/nested/);
  });
});
