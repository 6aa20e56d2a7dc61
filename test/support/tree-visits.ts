/**
 * Tree walks, counted: the scaling tests measure how much of the construct tree a check or a
 * renderer visits (machine-independent, unlike time), by counting what `findAll` and `children`
 * hand out.
 */
import { Node } from 'constructs';

/** Counts every construct that a findAll or a children listing hands out while `fn` runs. */
export function countVisits(fn: () => void): number {
  const proto = Node.prototype as unknown as { findAll: (...args: unknown[]) => unknown[] };
  const findAll = proto.findAll;
  const children = Object.getOwnPropertyDescriptor(Node.prototype, 'children')!;
  let visits = 0;
  proto.findAll = function (this: Node, ...args: unknown[]) {
    const found = findAll.apply(this, args);
    visits += found.length;
    return found;
  };
  Object.defineProperty(Node.prototype, 'children', {
    ...children,
    get(this: Node) {
      const listed = children.get!.call(this) as unknown[];
      visits += listed.length;
      return listed;
    },
  });
  try {
    fn();
  } finally {
    proto.findAll = findAll;
    Object.defineProperty(Node.prototype, 'children', children);
  }
  return visits;
}
