import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { Kind, runIndex, runIndexPer, withSharedIndexes } from '../../lib/internal';

class Box extends Construct {
  public static readonly KIND = Kind.named<Box>('test.Box');
  public constructor(
    scope: Construct,
    id: string,
    public readonly shelf: string,
  ) {
    super(scope, id);
    Box.KIND.mark(this);
  }
}

function tree() {
  const root = new Construct(undefined as unknown as Construct, 'root');
  const a = new Box(root, 'a', 'top');
  const b = new Box(a, 'b', 'bottom');
  const c = new Box(root, 'c', 'top');
  new Construct(root, 'not-a-box');
  return { root, a, b, c };
}

describe('Kind', () => {
  it('recognises its members, and a kind of the same name made elsewhere (another copy of the library) does too', () => {
    const { root, a } = tree();
    expect(Box.KIND.is(a)).toBe(true);
    expect(Box.KIND.is(root)).toBe(false);
    expect(Box.KIND.is(undefined)).toBe(false);
    expect(Kind.named<Box>('test.Box').is(a)).toBe(true);
    expect(Kind.named<Box>('test.Crate').is(a)).toBe(false);
    // The registered symbol every copy shares, the same as the hand-written brands had.
    expect(Symbol.for('homelab-cdk.test.Box') in a).toBe(true);
  });

  it('lists every member of the tree in tree order, from any construct of it', () => {
    const { root, a, b, c } = tree();
    expect(Box.KIND.all(root)).toEqual([a, b, c]);
    expect(Box.KIND.all(b)).toEqual([a, b, c]);
  });

  it('groups the members by a key, each group in tree order', () => {
    const { root, a, b, c } = tree();
    const byShelf = Box.KIND.groupBy((box) => box.shelf);
    expect([...byShelf.of(root)]).toEqual([
      ['top', [a, c]],
      ['bottom', [b]],
    ]);
  });
});

describe('runIndex', () => {
  it('computes once per validation run and afresh outside one; each index is its own key', () => {
    const { root } = tree();
    let first = 0;
    let second = 0;
    const one = runIndex(() => ++first);
    const other = runIndex(() => ++second);
    withSharedIndexes(root, () => {
      expect([one.of(root), one.of(root), other.of(root)]).toEqual([1, 1, 1]);
    });
    expect(one.of(root)).toBe(2);
    expect(one.of(root)).toBe(3);
  });

  it('keeps one value per scope with runIndexPer', () => {
    const { root, a, c } = tree();
    let computed = 0;
    const perBox = runIndexPer((box: Box) => `${box.node.id}${++computed}`);
    withSharedIndexes(root, () => {
      expect([perBox(a), perBox(c), perBox(a)]).toEqual(['a1', 'c2', 'a1']);
    });
  });
});
