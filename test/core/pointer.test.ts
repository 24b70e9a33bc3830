import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { escapePointerToken, pointer, unescapePointerToken } from '../../src/core/util/pointer';
import { runs } from '../helpers/fuzz';

describe('JSON Pointer (util/pointer)', () => {
  it('escapes "~" as ~0 and "/" as ~1, "~" first (RFC 6901 §3 and §4)', () => {
    assert.equal(pointer('a/b', 'm~n', 0), '/a~1b/m~0n/0');
    assert.equal(pointer('~1'), '/~01', 'a name that looks escaped is escaped again');
    assert.equal(pointer(), '');
    assert.equal(unescapePointerToken('~01'), '~1');
  });

  it('reads back every name it writes, and a pointer has one "/" per segment', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', '/', '~', '0', '1', '.') })), (names) => {
        const path = pointer(...names);
        assert.deepEqual(path === '' ? [] : path.split('/').slice(1).map(unescapePointerToken), names);
        for (const name of names) assert.ok(!escapePointerToken(name).includes('/'));
      }),
      { numRuns: runs(500, 20_000) },
    );
  });
});
