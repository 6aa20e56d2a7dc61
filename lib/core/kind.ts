/**
 * What a construct or value is, told without `instanceof`, and the indexes over the tree that the
 * checks of one run share.
 *
 * `instanceof` fails when an app and a tool each load their own copy of the library (two
 * node_modules, a bundled CLI): a `ZfsPool` of one copy is not an instance of the other's class.
 * A {@link Kind} marks its members with a registered symbol (`Symbol.for('homelab-cdk.ZfsPool')`),
 * which every copy shares, so `ZfsPool.isZfsPool(x)` and `kind.is(x)` hold across copies.
 *
 * A {@link RunIndex} is a value computed from the whole tree once per validation run (see
 * `perValidationRun`): the index is the key, so there is no string to mistype or to share by
 * accident between two checks.
 */
import { IConstruct } from 'constructs';
import { perValidationRun } from './validation';

/**
 * A kind of construct or value: `ZfsPool`, `INetworkEndpoint`, `Secret`. Members are marked in
 * their constructor ({@link Kind.mark}); {@link Kind.is} recognises them, in any copy of the library.
 */
export class Kind<T extends object> {
  /** The kind named `name`; the same name gives a kind that recognises the same members. */
  public static named<T extends object>(name: string): Kind<T> {
    return new Kind<T>(name);
  }

  /** The symbol the members carry, registered so that every copy of the library has the same. */
  private readonly symbol: symbol;
  private readonly everyone: RunIndex<T[]>;

  private constructor(
    /** The kind's name, `ZfsPool`. */
    public readonly name: string,
  ) {
    this.symbol = Symbol.for(`homelab-cdk.${name}`);
    this.everyone = runIndex((root) => {
      const members: T[] = [];
      for (const c of TREE.of(root)) {
        if (this.is(c)) {
          members.push(c);
        }
      }
      return members;
    });
  }

  /** Marks `member` as one of this kind (call it in the constructor); returns it. */
  public mark<M extends T>(member: M): M {
    Object.defineProperty(member, this.symbol, { value: true });
    return member;
  }

  /** Is `x` of this kind? A function value, so that it can be given to `filter` as it is. */
  public readonly is = (x: unknown): x is T => typeof x === 'object' && x !== null && this.symbol in x;

  /** Every member in the tree of `scope`, in tree order; computed once per validation run. */
  public all(scope: IConstruct): readonly T[] {
    return this.everyone.of(scope);
  }

  /**
   * Every member in the subtree of `scope` (itself included), in tree order: the run's index when
   * `scope` is the root (see {@link Kind.all}), else a walk of the subtree.
   */
  public under(scope: IConstruct): readonly T[] {
    return scope.node.scope === undefined ? this.all(scope) : scope.node.findAll().filter((c): c is IConstruct & T => this.is(c));
  }

  /**
   * The members by `key`, each group in tree order, as an index computed once per validation run:
   * `const poolsByHost = ZFS_POOL.groupBy((p) => p.host)`, then `poolsByHost.of(scope)`.
   */
  public groupBy<K>(key: (member: T) => K): RunIndex<Map<K, T[]>> {
    return runIndex((root) => {
      const groups = new Map<K, T[]>();
      for (const member of this.everyone.of(root)) {
        const k = key(member);
        // Pushed, not copied: a copy of the group per member was quadratic in the group's size.
        const group = groups.get(k);
        if (group) {
          group.push(member);
        } else {
          groups.set(k, [member]);
        }
      }
      return groups;
    });
  }
}

/** A value computed from the whole tree, once per validation run. */
export class RunIndex<T> {
  /** @internal */
  public constructor(private readonly build: (root: IConstruct) => T) {}

  /** The value for the tree of `scope`. */
  public of(scope: IConstruct): T {
    return perValidationRun(scope, this, () => this.build(scope.node.root));
  }
}

/** A value computed from the whole tree once per validation run; the returned index is its key. */
export function runIndex<T>(build: (root: IConstruct) => T): RunIndex<T> {
  return new RunIndex(build);
}

/**
 * Every construct of the tree in tree order (`findAll()`), walked once per validation run and
 * shared by every kind's {@link Kind.all}: a walk per kind was ~30 walks of the whole tree per
 * synthesis, a tenth of it at 4000 VMs (issue 17).
 */
const TREE = runIndex((root) => root.node.findAll());

/**
 * A value computed once per validation run for each scope it is asked for (the endpoints of one
 * network, the storage ids of one host). The returned function is the key.
 */
export function runIndexPer<S extends IConstruct, T>(build: (scope: S) => T): (scope: S) => T {
  const perScope = runIndex(() => new Map<S, T>());
  return (scope: S) => {
    const values = perScope.of(scope);
    if (!values.has(scope)) {
      values.set(scope, build(scope));
    }
    return values.get(scope)!;
  };
}
