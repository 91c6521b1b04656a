import { test } from 'vitest';
import { sandbox } from './helpers.js';
test('re', async () => {
  const sb = await sandbox({ sink: `function (e) {
    const s = 'a'.repeat(40);
    const out = {};
    const t = Date.now();
    out.lit = /(a+)+b/.test(s);
    out.ctor = new RegExp('(a|a)*b').test(s);
    out.utils = utils.matches(s, '(a|a)*b');
    out.match = 'xaab'.match('(a+)+b');
    out.exec = /(?<first>a+)+(b)/d.exec('xxaab');
    out.replace = 'aab aab'.replace(/(a+)+b/g, '[$1|$&]');
    out.split = 'aab,aab;aab'.split(/(?:a+)+[,;]/);
    out.search = 'zzaab'.search(/(a+)+b/);
    out.all = [...'aab aaab'.matchAll(/(a+)+b/g)].map((m) => m[0] + '@' + m.index);
    out.strmatch = 'aab aaab'.match(/(a+)+b/g);
    const g = /(a+)+b/g; g.test('aab aab'); out.last = g.lastIndex;
    out.safe = /^a+b$/.test('aab');
    try { const r = /(a+)+b/; r.constructor = undefined; out.ext = 'added'; } catch (x) { out.ext = x.name; }
    try { new RegExp('(a+)+' + '\\1'); } catch (x) { out.backref = x.name + ': ' + x.message; }
    out.ms = Date.now() - t;
    return out;
  }` });
  console.log(JSON.stringify(sb.sink([{}]), null, 1));
}, 60000);
