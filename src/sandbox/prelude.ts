/**
 * The JavaScript that runs first in every rule's QuickJS context (as a plain string: no transform of
 * ours or of the test runner touches it).
 *
 * It hardens the realm before any rule code is compiled, then returns the batch entry points the host
 * calls. Hardening, in order:
 * - remove what a rule must not have: BigInt (and its typed arrays / DataView accessors), Proxy,
 *   Promise, WeakRef, FinalizationRegistry, SharedArrayBuffer, Atomics;
 * - `eval`, `Function` and the generator/async function constructors throw EvalError (as under a CSP);
 * - guard the native operations QuickJS's interrupt handler cannot stop or its stack check cannot
 *   protect on a wasm stack: length caps on every
 *   Array/TypedArray method that loops to `length`, a cost cap on naive string search, depth caps
 *   on JSON.parse / JSON.stringify / regex sources / bound-function chains, and interruptible
 *   JavaScript versions of Array.prototype.flat/flatMap and Iterator.prototype.drop;
 * - freeze the intrinsic prototypes the guards rely on, so rule code cannot swap them out.
 * A guard that trips records why in `state.violation`; the batch loop then aborts even if the rule
 * caught the error, and the host turns it into a SandboxViolation.
 */
export const PRELUDE = String.raw`(function (configJson, createUtils, hostInTable, hostClassify, hostExpired, hostRegex) {
  'use strict';
  const G = globalThis;
  const cfg = JSON.parse(configJson);
  const CAP = cfg.maxLength, SEARCH_COST = cfg.maxSearchCost, JSON_DEPTH = cfg.maxJsonDepth;
  const RE_SOURCE = cfg.maxRegexSource, RE_DEPTH = cfg.maxRegexDepth, BIND_DEPTH = cfg.maxBindDepth;
  const MAX_ALLOC = cfg.maxAllocation;
  const STRING_WORK_CAP = cfg.workCap * 8;
  const WORK_CAP = cfg.workCap, CHECK_UNITS = cfg.checkUnits, SORT_NATIVE = cfg.sortNative, CPU_MESSAGE = cfg.cpuMessage;
  const O = Object, R = Reflect;
  const apply = R.apply, construct = R.construct, defineProperty = O.defineProperty;
  const gOPD = O.getOwnPropertyDescriptor, getProto = O.getPrototypeOf, hasOwn = O.hasOwn;
  const isArray = Array.isArray, freeze = O.freeze;
  const nativeParse = JSON.parse, nativeStringify = JSON.stringify;
  const Str = String, Num = Number, ErrorC = Error, TypeErr = TypeError, RangeErr = RangeError;
  const SyntaxErr = SyntaxError, EvalErr = EvalError, InternalErr = G.InternalError;
  const trunc = Math.trunc;
  const SymMatch = Symbol.match, SymMatchAll = Symbol.matchAll, SymSearch = Symbol.search;
  const SymReplace = Symbol.replace, SymSplit = Symbol.split, SymSpecies = Symbol.species;
  const state = { done: 0, violation: '' };

  function trip(kind, message) {
    if (state.violation === '') state.violation = kind + ':' + message;
    throw new RangeErr(message);
  }
  function data(value) {
    return { __proto__: null, value: value, writable: true, enumerable: false, configurable: true };
  }
  function fixed(value) {
    return { __proto__: null, value: value, writable: false, enumerable: false, configurable: false };
  }
  function toObject(v, what) {
    if (v === null || v === undefined) throw new TypeErr(what + ' called on null or undefined');
    return O(v);
  }

  // ---- removals ---------------------------------------------------------------------------
  const removed = ['BigInt', 'BigInt64Array', 'BigUint64Array', 'Proxy', 'Promise', 'WeakRef',
    'FinalizationRegistry', 'SharedArrayBuffer', 'Atomics'];
  for (let i = 0; i < removed.length; i++) delete G[removed[i]];
  const DVP = DataView.prototype;
  delete DVP.getBigInt64; delete DVP.getBigUint64; delete DVP.setBigInt64; delete DVP.setBigUint64;

  // ---- no code generation from strings -----------------------------------------------------
  function blocked(name, proto) {
    const f = { [name]: function () { throw new EvalErr('code generation from strings is disabled in the sandbox'); } }[name];
    defineProperty(f, 'prototype', fixed(proto));
    defineProperty(proto, 'constructor', fixed(f));
    return f;
  }
  defineProperty(G, 'Function', data(blocked('Function', Function.prototype)));
  blocked('GeneratorFunction', getProto(function* () {}));
  blocked('AsyncFunction', getProto(async function () {}));
  blocked('AsyncGeneratorFunction', getProto(async function* () {}));
  defineProperty(G, 'eval', data({ eval: function (x) { throw new EvalErr('code generation from strings is disabled in the sandbox'); } }.eval));

  // ---- length caps ----------------------------------------------------------------------------
  const TA = getProto(Int8Array), TAP = TA.prototype;
  const taLength = gOPD(TAP, 'length').get;
  function lengthOf(o, what) {
    if (o === null || o === undefined) return 0;
    const t = typeof o;
    let len;
    if (t === 'string') len = o.length;
    else if (t !== 'object' && t !== 'function') return 0;
    else if (isArray(o)) len = o.length;
    else {
      len = 0;
      for (let p = o; p !== null; p = getProto(p)) {
        const d = gOPD(p, 'length');
        if (d === undefined) continue;
        if (hasOwn(d, 'value')) {
          const v = d.value;
          if (v !== null && (typeof v === 'object' || typeof v === 'function')) {
            throw new TypeErr(what + ': length must be a primitive in the sandbox');
          }
          len = Num(v);
        } else if (d.get === taLength) {
          len = apply(taLength, o, []);
        } else {
          throw new TypeErr(what + ': an accessor length is not supported in the sandbox');
        }
        break;
      }
    }
    if (len > CAP) trip('cpu', what + ' on a length of ' + len + ' exceeds the sandbox limit of ' + CAP);
    return len;
  }
  // ---- work caps and deadline checks inside native loops ------------------------------------------
  // QuickJS polls its interrupt handler every ~10,000 bytecode branches or calls, not inside a native
  // loop: a loop of 2M-slot sparse indexOf calls ran for minutes past the deadline. So every native
  // call that loops charges its work here, and the host is asked whether the deadline passed once
  // enough work has gone by; and no single native call may visit more than WORK_CAP slots (~20 ms on
  // the slow path, holes or array-likes): longer ranges run in the interruptible JavaScript versions
  // below, or are refused.
  let spent = 0;
  function charge(units) {
    if (units > 0) spent += units;
    if (spent >= CHECK_UNITS) {
      spent = 0;
      if (hostExpired()) trip('cpu', CPU_MESSAGE);
    }
  }
  function relative(v, len, dflt) {
    if (v === undefined) return dflt;
    let n = trunc(Num(v));
    if (n !== n) n = 0;
    if (n < 0) return n + len < 0 ? 0 : n + len;
    return n > len ? len : n;
  }
  function callable(f, what) {
    if (typeof f !== 'function') throw new TypeErr(what + ': callback is not a function');
    return f;
  }
  function put(a, k, v) {
    defineProperty(a, k, { __proto__: null, value: v, writable: true, enumerable: true, configurable: true });
  }
  function sameValueZero(a, b) { return a === b || (a !== a && b !== b); }
  function defaultCompare(x, y) {
    const a = Str(x), b = Str(y);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  function numericCompare(a, b) {
    if (a < b) return -1;
    if (a > b) return 1;
    if (a === b) return a === 0 && b === 0 ? (1 / a < 1 / b ? -1 : 1 / a > 1 / b ? 1 : 0) : 0;
    return a !== a ? (b !== b ? 0 : 1) : -1;
  }
  // A stable merge sort in JavaScript (interruptible); undefined values go last, as in the spec.
  function mergeSort(items, cmp) {
    const n = items.length;
    let src = items, dst = new Array(n);
    for (let width = 1; width < n; width *= 2) {
      for (let lo = 0; lo < n; lo += 2 * width) {
        const mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
        let i = lo, j = mid, k = lo;
        while (i < mid && j < hi) {
          const c = Num(cmp(src[j], src[i]));
          dst[k++] = c < 0 ? src[j++] : src[i++];
        }
        while (i < mid) dst[k++] = src[i++];
        while (j < hi) dst[k++] = src[j++];
      }
      const t = src; src = dst; dst = t;
    }
    return src;
  }
  function sortValues(o, len, cmp, typed, skipHoles) {
    const values = [];
    let undefs = 0;
    for (let k = 0; k < len; k++) {
      if (skipHoles && !(k in o)) continue;
      const v = o[k];
      if (v === undefined && !typed) undefs++;
      else values.push(v);
    }
    const compare = cmp !== undefined ? cmp : typed ? numericCompare : defaultCompare;
    const sorted = mergeSort(values, compare);
    for (let i = 0; i < undefs; i++) sorted.push(undefined);
    return sorted;
  }
  const slowPaths = {
    __proto__: null,
    indexOf(o, len, args) {
      for (let k = relative(args[1], len, 0); k < len; k++) if (k in o && o[k] === args[0]) return k;
      return -1;
    },
    lastIndexOf(o, len, args) {
      let k = len - 1;
      if (args.length > 1) { let n = trunc(Num(args[1])); if (n !== n) n = 0; k = n < 0 ? len + n : (n < len - 1 ? n : len - 1); }
      for (; k >= 0; k--) if (k in o && o[k] === args[0]) return k;
      return -1;
    },
    includes(o, len, args) {
      for (let k = relative(args[1], len, 0); k < len; k++) if (sameValueZero(o[k], args[0])) return true;
      return false;
    },
    join(o, len, args, orig, slice) {
      const sep = args[0] === undefined ? ',' : Str(args[0]);
      const parts = [];
      const chunk = WORK_CAP >> 2;
      for (let s = 0; s < len; s += chunk) {
        const e = s + chunk < len ? s + chunk : len;
        charge(e - s);
        parts.push(apply(orig, apply(slice, o, [s, e]), [sep]));
      }
      return apply(nativeJoin, parts, [sep]);
    },
    fill(o, len, args, orig) {
      // Creating properties on a sparse array costs several times reading them: smaller chunks.
      const end = relative(args[2], len, len), chunk = WORK_CAP >> 3;
      for (let s = relative(args[1], len, 0); s < end; s += chunk) {
        const e = s + chunk < end ? s + chunk : end;
        charge(e - s);
        apply(orig, o, [args[0], s, e]);
      }
      return o;
    },
    copyWithin(o, len, args) {
      let to = relative(args[0], len, 0), from = relative(args[1], len, 0);
      const fin = relative(args[2], len, len);
      let count = (fin - from < len - to ? fin - from : len - to), dir = 1;
      if (from < to && to < from + count) { dir = -1; from += count - 1; to += count - 1; }
      for (; count > 0; count--, from += dir, to += dir) {
        if (from in o) o[to] = o[from];
        else if (!delete o[to]) throw new TypeErr('Array.prototype.copyWithin: cannot delete property ' + to);
      }
      return o;
    },
    reverse(o, len) {
      for (let lo = 0, hi = len - 1; lo < hi; lo++, hi--) {
        const hasLo = lo in o, hasHi = hi in o, vLo = o[lo], vHi = o[hi];
        if (hasHi) o[lo] = vHi; else if (!delete o[lo]) throw new TypeErr('Array.prototype.reverse: cannot delete property ' + lo);
        if (hasLo) o[hi] = vLo; else if (!delete o[hi]) throw new TypeErr('Array.prototype.reverse: cannot delete property ' + hi);
      }
      return o;
    },
    slice(o, len, args) {
      const end = relative(args[1], len, len), out = [];
      let n = 0;
      for (let k = relative(args[0], len, 0); k < end; k++, n++) if (k in o) put(out, n, o[k]);
      out.length = n;
      return out;
    },
    sort(o, len, args, orig, slice, typed) {
      const cmp = args[0];
      if (cmp !== undefined) callable(cmp, 'Array.prototype.sort');
      const sorted = sortValues(o, len, cmp, typed, true);
      let k = 0;
      for (; k < sorted.length; k++) o[k] = sorted[k];
      if (!typed) for (; k < len; k++) if (!delete o[k]) throw new TypeErr('Array.prototype.sort: cannot delete property ' + k);
      return o;
    },
    toSorted(o, len, args) {
      const cmp = args[0];
      if (cmp !== undefined) callable(cmp, 'Array.prototype.toSorted');
      return sortValues(o, len, cmp, false, false);
    },
    forEach(o, len, args) {
      const f = callable(args[0], 'Array.prototype.forEach');
      for (let k = 0; k < len; k++) if (k in o) apply(f, args[1], [o[k], k, o]);
    },
    map(o, len, args) {
      const f = callable(args[0], 'Array.prototype.map'), out = [];
      out.length = len;
      for (let k = 0; k < len; k++) if (k in o) put(out, k, apply(f, args[1], [o[k], k, o]));
      return out;
    },
    filter(o, len, args) {
      const f = callable(args[0], 'Array.prototype.filter'), out = [];
      for (let k = 0; k < len; k++) if (k in o) { const v = o[k]; if (apply(f, args[1], [v, k, o])) put(out, out.length, v); }
      return out;
    },
    some(o, len, args) {
      const f = callable(args[0], 'Array.prototype.some');
      for (let k = 0; k < len; k++) if (k in o && apply(f, args[1], [o[k], k, o])) return true;
      return false;
    },
    every(o, len, args) {
      const f = callable(args[0], 'Array.prototype.every');
      for (let k = 0; k < len; k++) if (k in o && !apply(f, args[1], [o[k], k, o])) return false;
      return true;
    },
    find(o, len, args) {
      const f = callable(args[0], 'Array.prototype.find');
      for (let k = 0; k < len; k++) { const v = o[k]; if (apply(f, args[1], [v, k, o])) return v; }
      return undefined;
    },
    findIndex(o, len, args) {
      const f = callable(args[0], 'Array.prototype.findIndex');
      for (let k = 0; k < len; k++) if (apply(f, args[1], [o[k], k, o])) return k;
      return -1;
    },
    findLast(o, len, args) {
      const f = callable(args[0], 'Array.prototype.findLast');
      for (let k = len - 1; k >= 0; k--) { const v = o[k]; if (apply(f, args[1], [v, k, o])) return v; }
      return undefined;
    },
    findLastIndex(o, len, args) {
      const f = callable(args[0], 'Array.prototype.findLastIndex');
      for (let k = len - 1; k >= 0; k--) if (apply(f, args[1], [o[k], k, o])) return k;
      return -1;
    },
    reduce(o, len, args) {
      const f = callable(args[0], 'Array.prototype.reduce');
      let k = 0, acc;
      if (args.length > 1) acc = args[1];
      else {
        while (k < len && !(k in o)) k++;
        if (k >= len) throw new TypeErr('Array.prototype.reduce: empty array with no initial value');
        acc = o[k++];
      }
      for (; k < len; k++) if (k in o) acc = f(acc, o[k], k, o);
      return acc;
    },
    reduceRight(o, len, args) {
      const f = callable(args[0], 'Array.prototype.reduceRight');
      let k = len - 1, acc;
      if (args.length > 1) acc = args[1];
      else {
        while (k >= 0 && !(k in o)) k--;
        if (k < 0) throw new TypeErr('Array.prototype.reduceRight: empty array with no initial value');
        acc = o[k--];
      }
      for (; k >= 0; k--) if (k in o) acc = f(acc, o[k], k, o);
      return acc;
    },
  };
  // TypedArrays have no holes and loop natively at a few ns per element, except where each element is
  // formatted or compared: those few are capped like arrays.
  const typedSlow = { __proto__: null, join: true, sort: true, toLocaleString: true, toSorted: true };
  const AP = Array.prototype;
  const nativeJoin = AP.join, nativeSlice = AP.slice, nativeTaSlice = TAP.slice;
  function capped(proto, name, checkArgs) {
    const orig = proto[name];
    if (typeof orig !== 'function') return;
    const typed = proto === TAP;
    const what = (typed ? 'TypedArray' : 'Array') + '.prototype.' + name;
    const slow = typed ? (typedSlow[name] === true && name !== 'toSorted' && name !== 'toLocaleString' ? slowPaths[name] : undefined) : slowPaths[name];
    const bounded = !typed || typedSlow[name] === true;
    const sortLike = name === 'sort' || name === 'toSorted';
    const w = { [name](...args) {
      const len = lengthOf(this, what);
      let work = len;
      if (checkArgs) for (let i = 0; i < args.length; i++) work += lengthOf(args[i], what);
      // The default sort compares strings at ~150 ns per comparison: above a few thousand elements
      // it runs with an equivalent JavaScript comparator, which the interrupt handler can stop.
      if (sortLike && args[0] === undefined && len > SORT_NATIVE) args[0] = typed ? numericCompare : defaultCompare;
      if (bounded && work > WORK_CAP) {
        if (slow !== undefined) return slow(toObject(this, what), len, args, orig, typed ? nativeTaSlice : nativeSlice, typed);
        trip('cpu', what + ' on a length of ' + work + ' exceeds the sandbox limit of ' + WORK_CAP + ' elements per call');
      }
      charge(work);
      return apply(orig, this, args);
    } }[name];
    defineProperty(proto, name, data(w));
  }
  const arrayMethods = ['copyWithin', 'every', 'fill', 'filter', 'find', 'findIndex', 'findLast',
    'findLastIndex', 'forEach', 'includes', 'indexOf', 'join', 'lastIndexOf', 'map', 'reduce',
    'reduceRight', 'reverse', 'shift', 'slice', 'some', 'sort', 'splice', 'toLocaleString',
    'toReversed', 'toSorted', 'toSpliced', 'unshift', 'with'];
  for (let i = 0; i < arrayMethods.length; i++) {
    capped(AP, arrayMethods[i], false);
    capped(TAP, arrayMethods[i], false);
  }
  capped(AP, 'concat', true);
  capped(TAP, 'set', true);
  const arrayFrom = Array.from, taFrom = TA.from, SymIterator = Symbol.iterator;
  // Array.from over an array-like (no iterator) reads every index natively.
  function fromCheck(items, what) {
    const len = lengthOf(items, what);
    if (len > WORK_CAP && items !== null && items !== undefined && O(items)[SymIterator] === undefined) {
      trip('cpu', what + ' of an array-like of length ' + len + ' exceeds the sandbox limit of ' + WORK_CAP + ' elements per call');
    }
    charge(len);
  }
  defineProperty(Array, 'from', data({ from(items, ...rest) { fromCheck(items, 'Array.from'); return apply(arrayFrom, this, [items, ...rest]); } }.from));
  defineProperty(TA, 'from', data({ from(items, ...rest) { fromCheck(items, 'TypedArray.from'); return apply(taFrom, this, [items, ...rest]); } }.from));

  // flat / flatMap recurse natively over nested arrays: interruptible JavaScript versions instead.
  function flatten(target, n, source, depth, mapper, thisArg) {
    const len = lengthOf(source, 'Array.prototype.flat');
    for (let i = 0; i < len; i++) {
      if (!(i in source)) continue;
      let el = source[i];
      if (mapper !== undefined) el = apply(mapper, thisArg, [el, i, source]);
      if (depth > 0 && isArray(el)) n = flatten(target, n, el, depth - 1, undefined, undefined);
      else {
        defineProperty(target, n, { __proto__: null, value: el, writable: true, enumerable: true, configurable: true });
        n++;
      }
    }
    return n;
  }
  defineProperty(AP, 'flat', data({ flat(depth) {
    const o = toObject(this, 'Array.prototype.flat');
    let d = depth === undefined ? 1 : trunc(Num(depth));
    if (d !== d) d = 0;
    const out = [];
    flatten(out, 0, o, d, undefined, undefined);
    return out;
  } }.flat));
  defineProperty(AP, 'flatMap', data({ flatMap(mapper, thisArg) {
    const o = toObject(this, 'Array.prototype.flatMap');
    if (typeof mapper !== 'function') throw new TypeErr('Array.prototype.flatMap: mapper is not a function');
    const out = [];
    flatten(out, 0, o, 1, mapper, thisArg);
    return out;
  } }.flatMap));

  // Iterator.prototype.drop skips natively without polling the interrupt handler.
  const IP = getProto(getProto([][Symbol.iterator]()));
  // Iterator.prototype.toArray drains a native iterator in one native loop: a JavaScript loop instead.
  if (typeof IP.toArray === 'function') {
    defineProperty(IP, 'toArray', data({ toArray() {
      const it = this;
      if (it === null || (typeof it !== 'object' && typeof it !== 'function')) throw new TypeErr('Iterator.prototype.toArray called on a non-object');
      const next = it.next, out = [];
      for (;;) {
        const r = apply(next, it, []);
        if (r.done) return out;
        put(out, out.length, r.value);
      }
    } }.toArray));
  }
  if (typeof IP.drop === 'function') {
    defineProperty(IP, 'drop', data({ drop(limit) {
      const it = this;
      if (it === null || (typeof it !== 'object' && typeof it !== 'function')) throw new TypeErr('Iterator.prototype.drop called on a non-object');
      let n = Num(limit);
      if (n !== n) throw new RangeErr('Iterator.prototype.drop: limit is not a number');
      n = trunc(n);
      if (n < 0) throw new RangeErr('Iterator.prototype.drop: negative limit');
      const next = it.next;
      return (function* () {
        for (; n > 0; n--) if (apply(next, it, []).done) return;
        for (;;) {
          const r = apply(next, it, []);
          if (r.done) return;
          yield r.value;
        }
      })();
    } }.drop));
  }

  // ---- naive string search: cost is |text| x |pattern| in one native call ----------------------
  const SP = String.prototype;
  function str(v, what) {
    if (typeof v === 'string') return v;
    if (v === null || v === undefined) throw new TypeErr(what + ' called on null or undefined');
    return Str(v);
  }
  function searchCost(text, pattern, what) {
    if (text.length * pattern.length > SEARCH_COST) {
      trip('cpu', what + ' of ' + pattern.length + ' characters in ' + text.length + ' exceeds the sandbox search budget');
    }
  }
  function checkRegexSource(src, what) {
    if (src.length > RE_SOURCE) trip('cpu', what + ': regular expression longer than ' + RE_SOURCE + ' characters');
    if (src.length > RE_DEPTH) {
      let depth = 0;
      for (let i = 0; i < src.length; i++) {
        const c = src.charCodeAt(i);
        if (c === 92) i++;
        else if (c === 40 || c === 91) { if (++depth > RE_DEPTH) trip('stack', what + ': regular expression nested deeper than ' + RE_DEPTH); }
        else if (c === 41 || c === 93) depth--;
      }
    }
  }
  // Methods that may delegate to a Symbol method of their argument (split, replace…): read the symbol
  // once and call it ourselves, so the native never sees an object whose answer could change.
  function searchMethod(name, sym, regexArg, rejectRegExp, needsGlobal) {
    const orig = SP[name];
    const what = 'String.prototype.' + name;
    defineProperty(SP, name, data({ [name](pattern, ...rest) {
      const text = str(this, what);
      charge(text.length);
      if (pattern !== null && pattern !== undefined && (typeof pattern === 'object' || typeof pattern === 'function')) {
        if (needsGlobal && pattern[SymMatch] && Str(pattern.flags).indexOf('g') < 0) {
          throw new TypeErr(what + ': a regular expression argument must have the g flag');
        }
        if (sym !== undefined) {
          const m = pattern[sym];
          if (m !== null && m !== undefined) return apply(m, pattern, [this, ...rest]);
        } else if (rejectRegExp) {
          const m = pattern[SymMatch];
          if (m !== undefined ? !!m : false) throw new TypeErr(what + ': first argument must not be a regular expression');
        }
      }
      let p = pattern;
      if (p === undefined && (regexArg || name === 'split')) return apply(orig, text, [p, ...rest]);
      if (regexArg) {
        // The native method would build the RegExp with the intrinsic constructor, which never asks
        // whether the pattern is linear: build it here instead and call its method, as the spec does.
        p = Str(p);
        checkRegexSource(p, what);
        const rx = new SafeRegExp(p, name === 'matchAll' ? 'g' : undefined);
        return apply(rx[sym], rx, [text]);
      } else {
        p = Str(p);
        // QuickJS searches at ~15-35 ns a character, in one call.
        if (text.length > STRING_WORK_CAP) trip('cpu', what + ' on ' + text.length + ' characters exceeds the sandbox limit of ' + STRING_WORK_CAP + ' per call');
        searchCost(text, p, what);
      }
      return apply(orig, text, [p, ...rest]);
    } }[name]));
  }
  searchMethod('indexOf', undefined, false, false, false);
  searchMethod('lastIndexOf', undefined, false, false, false);
  searchMethod('includes', undefined, false, true, false);
  searchMethod('split', SymSplit, false, false, false);
  searchMethod('replace', SymReplace, false, false, false);
  searchMethod('replaceAll', SymReplace, false, false, true);
  searchMethod('match', SymMatch, true, false, false);
  searchMethod('matchAll', SymMatchAll, true, false, true);
  searchMethod('search', SymSearch, true, false, false);

  // ---- single allocations larger than the whole memory limit ---------------------------------------
  // (QuickJS's limit counts allocations, not bytes, under Emscripten; the host also measures.)
  function sized(name, resultLength) {
    const orig = SP[name];
    defineProperty(SP, name, data({ [name](...args) {
      const text = str(this, 'String.prototype.' + name);
      const n = resultLength(text, args);
      charge(n);
      if (n > MAX_ALLOC) trip('memory', 'String.prototype.' + name + ' would allocate ' + n + ' characters');
      // QuickJS builds these strings at ~20 ns a character, in one native call.
      if (n > STRING_WORK_CAP) trip('cpu', 'String.prototype.' + name + ' of ' + n + ' characters exceeds the sandbox limit of ' + STRING_WORK_CAP + ' per call');
      return apply(orig, text, args);
    } }[name]));
  }
  sized('repeat', function (t, a) { return t.length * Num(a[0]); });
  sized('padStart', function (t, a) { return Num(a[0]); });
  sized('padEnd', function (t, a) { return Num(a[0]); });
  // Other methods that walk or copy the whole string: charged, so a loop of them meets the deadline.
  const linearStringMethods = ['toUpperCase', 'toLowerCase', 'toLocaleUpperCase', 'toLocaleLowerCase',
    'normalize', 'trim', 'trimStart', 'trimEnd', 'trimLeft', 'trimRight', 'slice', 'substring', 'substr',
    'concat', 'localeCompare', 'isWellFormed', 'toWellFormed', 'startsWith', 'endsWith'];
  // Case mapping runs at ~40 ns a character in one call: capped per call like the array methods.
  const slowPerChar = { __proto__: null, toUpperCase: true, toLowerCase: true, toLocaleUpperCase: true, toLocaleLowerCase: true };
  for (let i = 0; i < linearStringMethods.length; i++) {
    const name = linearStringMethods[i], orig = SP[name];
    if (typeof orig !== 'function') continue;
    const what = 'String.prototype.' + name, capped = slowPerChar[name] === true, withArgs = name === 'concat';
    // No rest parameters: these run on hot paths, and 'arguments' passes through without a copy.
    defineProperty(SP, name, data({ [name]() {
      const text = typeof this === 'string' ? this : str(this, what);
      let work = text.length;
      if (capped && work > STRING_WORK_CAP) {
        trip('cpu', what + ' of ' + work + ' characters exceeds the sandbox limit of ' + STRING_WORK_CAP + ' per call');
      }
      if (withArgs) for (let j = 0; j < arguments.length; j++) if (typeof arguments[j] === 'string') work += arguments[j].length;
      if (work > 0) { spent += work; if (spent >= CHECK_UNITS) charge(0); }
      return apply(orig, text, arguments);
    } }[name]));
  }
  const NativeArrayBuffer = ArrayBuffer;
  const SafeArrayBuffer = { ArrayBuffer: function (length, options) {
    if (new.target === undefined) throw new TypeErr('Constructor ArrayBuffer requires new');
    const n = Num(length);
    if (n > MAX_ALLOC) trip('memory', 'ArrayBuffer of ' + n + ' bytes');
    let max;
    if (options !== null && typeof options === 'object') {
      max = options.maxByteLength;
      if (max !== undefined) { max = Num(max); if (max > MAX_ALLOC) trip('memory', 'ArrayBuffer of ' + max + ' bytes'); }
    }
    return construct(NativeArrayBuffer, max === undefined ? [n] : [n, { maxByteLength: max }], new.target);
  } }.ArrayBuffer;
  const ABP = NativeArrayBuffer.prototype;
  defineProperty(SafeArrayBuffer, 'prototype', fixed(ABP));
  defineProperty(SafeArrayBuffer, 'isView', data(NativeArrayBuffer.isView));
  defineProperty(SafeArrayBuffer, SymSpecies, { __proto__: null, get: function () { return this; }, configurable: true });
  defineProperty(ABP, 'constructor', data(SafeArrayBuffer));
  defineProperty(G, 'ArrayBuffer', data(SafeArrayBuffer));
  const typedNames = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
    'Uint32Array', 'Float16Array', 'Float32Array', 'Float64Array'];
  for (let i = 0; i < typedNames.length; i++) {
    const name = typedNames[i], Native = G[name];
    if (typeof Native !== 'function') continue;
    const size = Native.BYTES_PER_ELEMENT;
    const Safe = { [name]: function (a, b, c) {
      if (new.target === undefined) throw new TypeErr('Constructor ' + name + ' requires new');
      let n = 0;
      if (a === null || typeof a !== 'object') n = Num(a);
      else if (!(a instanceof NativeArrayBuffer)) n = lengthOf(a, name);
      if (n * size > MAX_ALLOC) trip('memory', name + ' of ' + n + ' elements');
      return construct(Native, [a, b, c], new.target);
    } }[name];
    defineProperty(Safe, 'prototype', fixed(Native.prototype));
    defineProperty(Safe, 'BYTES_PER_ELEMENT', fixed(size));
    O.setPrototypeOf(Safe, TA);
    defineProperty(Native.prototype, 'constructor', data(Safe));
    defineProperty(G, name, data(Safe));
  }

  // ---- regular expressions: bounded source and nesting ---------------------------------------
  const NativeRegExp = RegExp, REP = NativeRegExp.prototype;
  const sourceGetter = gOPD(REP, 'source').get;
  function isGenuineRegExp(x) {
    if (x === null || typeof x !== 'object' || x === REP) return false;
    try { apply(sourceGetter, x, []); return true; } catch (e) { return false; }
  }
  // A pattern the host cannot prove linear runs on the host's linear-time engine (re2js): the RegExp
  // object is a real one (source, flags, lastIndex behave as usual) whose own, fixed 'exec' asks the
  // host; every other RegExp method (test, match, replace, split, search, matchAll) goes through 'exec'.
  // Such an object cannot be extended, so no own 'constructor' can steer split/matchAll's species
  // lookup to the native constructor.
  const linearInfo = new WeakMap();
  const flagsGetter = gOPD(REP, 'flags').get;
  function toLength(v) {
    let n = trunc(Num(v));
    if (n !== n || n < 0) return 0;
    return n > 9007199254740991 ? 9007199254740991 : n;
  }
  const linearExec = { exec(s) {
    const info = linearInfo.get(this);
    if (info === undefined) throw new TypeErr('RegExp.prototype.exec called on an incompatible receiver');
    const text = Str(s);
    const stateful = info.global || info.sticky;
    // A short input stays on QuickJS's engine: its work there is bounded by the input's length.
    if (!stateful && text.length <= info.shortLimit) return apply(nativeExec, this, [text]);
    let last = 0;
    if (stateful) {
      last = toLength(this.lastIndex);
      if (last > text.length) { this.lastIndex = 0; return null; }
    }
    // Linear on the host, but one call is not interruptible: bounded like a string search.
    if (text.length - last > STRING_WORK_CAP) trip('cpu', 'a regular expression on ' + (text.length - last) + ' characters exceeds the sandbox limit of ' + STRING_WORK_CAP + ' per call');
    charge(text.length - last);
    const out = hostRegex(info.source, info.flags, text, last, info.sticky);
    if (out === null) {
      if (stateful) this.lastIndex = 0;
      return null;
    }
    const pos = nativeParse(out);
    const n = pos.length >> 1;
    const m = [];
    for (let g = 0; g < n; g++) put(m, g, pos[2 * g] < 0 ? undefined : text.slice(pos[2 * g], pos[2 * g + 1]));
    put(m, 'index', pos[0]);
    put(m, 'input', text);
    let groups;
    const names = info.names;
    if (names !== null) {
      groups = { __proto__: null };
      for (const name in names) groups[name] = m[names[name]];
    }
    put(m, 'groups', groups);
    if (info.indices) {
      const idx = [];
      for (let g = 0; g < n; g++) put(idx, g, pos[2 * g] < 0 ? undefined : [pos[2 * g], pos[2 * g + 1]]);
      let ig;
      if (names !== null) {
        ig = { __proto__: null };
        for (const name in names) ig[name] = idx[names[name]];
      }
      put(idx, 'groups', ig);
      put(m, 'indices', idx);
    }
    if (stateful) this.lastIndex = pos[1];
    return m;
  } }.exec;
  // split: the spec tries a sticky match at every position, which on the linear engine would scan
  // ahead from each one; the leftmost match from a position is where the first sticky match succeeds,
  // so search for it instead (same result, one scan).
  const linearSplit = { [SymSplit](string, limit) {
    const info = linearInfo.get(this);
    if (info === undefined) throw new TypeErr('RegExp.prototype[Symbol.split] called on an incompatible receiver');
    const S = Str(string), size = S.length;
    const lim = limit === undefined ? 4294967295 : Num(limit) >>> 0;
    const A = [];
    if (lim === 0) return A;
    const search = function (from) {
      if (size - from > STRING_WORK_CAP) trip('cpu', 'a regular expression on ' + (size - from) + ' characters exceeds the sandbox limit of ' + STRING_WORK_CAP + ' per call');
      charge(size - from);
      const out = hostRegex(info.source, info.flags, S, from, false);
      return out === null ? null : nativeParse(out);
    };
    if (size === 0) {
      const z = search(0);
      if (z === null || z[0] !== 0) put(A, 0, S);
      return A;
    }
    const unicode = info.flags.indexOf('u') >= 0 || info.flags.indexOf('v') >= 0;
    const advance = function (i) {
      if (!unicode || i + 1 >= size) return i + 1;
      const c = S.charCodeAt(i);
      return c >= 0xd800 && c <= 0xdbff && (S.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? i + 2 : i + 1;
    };
    let p = 0, q = 0;
    while (q < size) {
      const m = search(q);
      if (m === null || m[0] >= size) break;
      const start = m[0], e = m[1] < size ? m[1] : size;
      if (e === p) { q = advance(start); continue; }
      put(A, A.length, S.slice(p, start));
      if (A.length === lim) return A;
      for (let g = 1; g < m.length >> 1; g++) {
        put(A, A.length, m[2 * g] < 0 ? undefined : S.slice(m[2 * g], m[2 * g + 1]));
        if (A.length === lim) return A;
      }
      p = e;
      q = p;
    }
    put(A, A.length, S.slice(p));
    return A;
  } }[SymSplit];
  const SafeRegExp = { RegExp: function (pattern, flags) {
    let p = pattern, f = flags === undefined ? undefined : Str(flags);
    if (isGenuineRegExp(p)) {
      if (f === undefined) f = apply(flagsGetter, p, []);
      p = apply(sourceGetter, p, []);
    } else {
      if (p !== null && typeof p === 'object' && p[SymMatch]) {
        if (f === undefined) f = p.flags === undefined ? undefined : Str(p.flags);
        p = p.source;
      }
      p = p === undefined ? '' : Str(p);
    }
    checkRegexSource(p, 'RegExp');
    // Built first so that the usual SyntaxError reports a malformed pattern or flags.
    const r = construct(NativeRegExp, f === undefined ? [p] : [p, f], new.target === undefined ? SafeRegExp : new.target);
    const fl = f === undefined ? '' : f;
    const plan = nativeParse(hostRegex(p, fl));
    if (plan.engine === 'native') return r;
    if (plan.engine === 'refused') throw new SyntaxErr('Invalid regular expression: /' + p + '/: ' + plan.reason);
    let names = null;
    for (const name in plan.names) { if (names === null) names = { __proto__: null }; names[name] = plan.names[name]; }
    linearInfo.set(r, freeze({ __proto__: null, source: p, flags: fl, names: names, shortLimit: plan.shortLimit,
      global: fl.indexOf('g') >= 0, sticky: fl.indexOf('y') >= 0, indices: fl.indexOf('d') >= 0 }));
    defineProperty(r, 'exec', fixed(linearExec));
    defineProperty(r, SymSplit, fixed(linearSplit));
    O.preventExtensions(r);
    return r;
  } }.RegExp;
  // RegExp.prototype.exec called directly on a linear RegExp would run QuickJS's engine on its pattern.
  const nativeExec = REP.exec;
  defineProperty(REP, 'exec', data({ exec(s) {
    return linearInfo.has(this) ? apply(linearExec, this, [s]) : apply(nativeExec, this, [s]);
  } }.exec));
  defineProperty(SafeRegExp, 'prototype', fixed(REP));
  defineProperty(SafeRegExp, SymSpecies, { __proto__: null, get: function () { return this; }, configurable: true });
  defineProperty(REP, 'constructor', data(SafeRegExp));
  delete REP.compile;
  defineProperty(G, 'RegExp', data(SafeRegExp));

  // ---- bound-function chains: instanceof and calls recurse natively -------------------------------
  const FP = Function.prototype, nativeBind = FP.bind;
  const bindDepth = new WeakMap();
  defineProperty(FP, 'bind', data({ bind(...args) {
    const d = (bindDepth.get(this) || 0) + 1;
    if (d > BIND_DEPTH) trip('stack', 'Function.prototype.bind chain deeper than ' + BIND_DEPTH);
    const f = apply(nativeBind, this, args);
    bindDepth.set(f, d);
    return f;
  } }.bind));

  // ---- JSON: the native parser and serializer recurse without protecting the wasm stack -------------
  function jsonDepthOk(text) {
    if (text.length <= JSON_DEPTH) return true;
    let depth = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        for (i++; i < text.length; i++) {
          const d = text.charCodeAt(i);
          if (d === 92) i++;
          else if (d === 34) break;
        }
      } else if (c === 91 || c === 123) { if (++depth > JSON_DEPTH) return false; }
      else if (c === 93 || c === 125) depth--;
    }
    return true;
  }
  function safeParse(text, reviver) {
    const s = Str(text);
    if (s.length > 2 * STRING_WORK_CAP) trip('cpu', 'JSON.parse of ' + s.length + ' characters exceeds the sandbox limit of ' + 2 * STRING_WORK_CAP + ' per call');
    charge(s.length);
    if (!jsonDepthOk(s)) trip('stack', 'JSON.parse: input nested deeper than ' + JSON_DEPTH);
    return reviver === undefined ? nativeParse(s) : nativeParse(s, reviver);
  }
  // Tracks the path through a replacer: stringify calls it with the holder as this, depth first.
  function safeStringify(value, replacer, space) {
    let fn = typeof replacer === 'function' ? replacer : undefined;
    let allow;
    if (fn === undefined && isArray(replacer)) {
      allow = new Set();
      const n = lengthOf(replacer, 'JSON.stringify');
      for (let i = 0; i < n; i++) {
        const k = replacer[i];
        if (typeof k === 'string' || typeof k === 'number' || k instanceof Str || k instanceof Num) allow.add(Str(k));
      }
    }
    const path = [];
    let top = 0;
    const track = function (key, val) {
      const holder = this;
      if (fn !== undefined) val = apply(fn, holder, [key, val]);
      else if (allow !== undefined && top > 0 && !isArray(holder) && !allow.has(key)) return undefined;
      if (typeof val === 'string') {
        if (val.length > 2 * STRING_WORK_CAP) trip('cpu', 'JSON.stringify of a string of ' + val.length + ' characters exceeds the sandbox limit of ' + 2 * STRING_WORK_CAP);
        charge(val.length);
      }
      while (top > 0 && path[top - 1] !== holder) top--;
      if (val !== null && typeof val === 'object') {
        if (top >= JSON_DEPTH) trip('stack', 'JSON.stringify: value nested deeper than ' + JSON_DEPTH);
        defineProperty(path, top, { __proto__: null, value: val, writable: true, enumerable: true, configurable: true });
        top++;
      }
      return val;
    };
    return nativeStringify(value, track, space);
  }
  defineProperty(JSON, 'parse', data({ parse(text, reviver) { return safeParse(text, reviver); } }.parse));
  defineProperty(JSON, 'stringify', data({ stringify(value, replacer, space) { return safeStringify(value, replacer, space); } }.stringify));

  // ---- utils, then freeze what the guards rely on ---------------------------------------------
  // Features cross as JSON text (bounded by the JSON guards), the classification comes back as JSON.
  const classify = function (model, features) { return safeParse(hostClassify(Str(model), safeStringify(features))); };
  const utils = createUtils(freeze({ __proto__: null, inTable: hostInTable, classify: classify }));
  defineProperty(G, 'utils', fixed(utils));
  const frozen = [AP, TAP, SP, FP, REP, IP, ABP, Array, TA, O, R, JSON, Math, Num, Num.prototype, Str,
    Symbol, Map.prototype, Set.prototype, WeakMap.prototype, DataView.prototype,
    getProto(function* () {}), getProto(function* () {}).prototype, getProto([][Symbol.iterator]()),
    getProto(new Map().entries()), getProto(new Set().values()), getProto(''[Symbol.iterator]()),
    getProto(/x/[SymMatchAll](''))];
  for (let i = 0; i < frozen.length; i++) freeze(frozen[i]);

  // ---- the batch loops -----------------------------------------------------------------------
  const fns = { __proto__: null, filter: undefined, having: undefined, sink: undefined };
  function fatal(e) {
    if (state.violation !== '') return true;
    if (e instanceof InternalErr || e instanceof SyntaxErr) {
      const m = e.message;
      return m === 'interrupted' || m === 'out of memory' || m === 'stack overflow';
    }
    return false;
  }
  function describe(e) {
    try {
      const s = e instanceof ErrorC ? Str(e.name) + ': ' + Str(e.message) : Str(e);
      return s.length > 500 ? s.slice(0, 500) + '...' : s;
    } catch (e2) {
      if (fatal(e2)) throw e2;
      return 'exception that cannot be printed';
    }
  }
  function afterItem() {
    if (state.violation !== '') throw new RangeErr(state.violation);
  }
  function runFilter(json) {
    const fn = fns.filter;
    const items = nativeParse(json);
    const n = items.length;
    let out = '', errs = '';
    for (let i = 0; i < n; i++) {
      state.done = i;
      let bit;
      try {
        bit = fn(items[i]) ? '1' : '0';
      } catch (e) {
        if (fatal(e)) throw e;
        bit = '0';
        errs += (errs === '' ? '' : ',') + i + ',' + nativeStringify(describe(e));
      }
      afterItem();
      out += bit;
    }
    state.done = n;
    return errs === '' ? out : out + '\n[' + errs + ']';
  }
  function runValues(fn, items, prepare) {
    const n = items.length;
    let out = '[', errs = '';
    for (let i = 0; i < n; i++) {
      state.done = i;
      let text;
      try {
        const item = items[i];
        if (prepare) prepare(item);
        const r = fn(item);
        text = r === undefined ? 'null' : safeStringify(r);
        if (text === undefined) text = 'null';
      } catch (e) {
        if (fatal(e)) throw e;
        text = 'null';
        errs += (errs === '' ? '' : ',') + i + ',' + nativeStringify(describe(e));
      }
      afterItem();
      out += (i === 0 ? '' : ',') + text;
    }
    state.done = n;
    out += ']';
    return errs === '' ? out : out + '\n[' + errs + ']';
  }
  // An accessor rather than a data property pointing at the event itself: a self-reference is a
  // cycle, which only the garbage collector frees, so a window's events would outlive the batch.
  const fieldsAccessor = {
    __proto__: null, enumerable: false, configurable: true,
    get: function () { return this; },
    set: function (v) { defineProperty(this, 'fields', { __proto__: null, value: v, writable: true, enumerable: false, configurable: true }); },
  };
  function exposeFields(events) {
    if (!isArray(events)) return;
    for (let j = 0; j < events.length; j++) {
      const e = events[j];
      if (e !== null && typeof e === 'object' && !hasOwn(e, 'fields')) defineProperty(e, 'fields', fieldsAccessor);
    }
  }
  return freeze({
    __proto__: null,
    state: state,
    install: function (role, fn) {
      if (typeof fn !== 'function') throw new TypeErr(role + ' is not a function');
      fns[role] = fn;
    },
    filter: function (json) { state.done = 0; return runFilter(json); },
    having: function (json) { state.done = 0; return runValues(fns.having, nativeParse(json), exposeFields); },
    sink: function (json) { state.done = 0; return runValues(fns.sink, nativeParse(json), undefined); },
  });
})`;
