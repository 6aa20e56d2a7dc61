/**
 * RAM that a part of a host holds for itself: the ZFS ARC's maximum, say. A hypervisor's VMs share
 * what the host has left, so the checks of a host's memory budget sum every reservation found in
 * the host's subtree with the memory of its VMs.
 */
import { IConstruct, Node } from 'constructs';
import { Size } from './size';
import { byText } from './order';

/** Memory a construct holds on the host it belongs to. */
export interface IMemoryReservation {
  /** How much RAM it holds at most. */
  readonly reservedMemory: Size;
  /** What holds it, in a few words ("ZFS ARC maximum"), for messages. */
  readonly reservationDescription: string;
  /** The construct's node: the reservation counts for the host whose subtree holds it. */
  readonly node: Node;
}

const MEMORY_RESERVATION = Symbol.for('homelab-cdk.MemoryReservation');

/** Marks a construct as an {@link IMemoryReservation}; call it in the construct's constructor. */
export function markMemoryReservation(reservation: IMemoryReservation): void {
  Object.defineProperty(reservation, MEMORY_RESERVATION, { value: true });
}

/** Is `x` a memory reservation (of any copy of this library)? */
export function isMemoryReservation(x: unknown): x is IMemoryReservation {
  return typeof x === 'object' && x !== null && MEMORY_RESERVATION in x;
}

/** Every memory reservation in the subtree of `scope` (a host), sorted by construct path. */
export function memoryReservationsUnder(scope: IConstruct): IMemoryReservation[] {
  return scope.node
    .findAll()
    .filter((c): c is IConstruct & IMemoryReservation => isMemoryReservation(c))
    .sort(byText((x) => x.node.path));
}
