/**
 * RAM that a part of a host holds for itself: the ZFS ARC's maximum, say. A hypervisor's VMs share
 * what the host has left, so the checks of a host's memory budget sum every reservation found in
 * the host's subtree with the memory of its VMs.
 */
import { IConstruct, Node } from 'constructs';
import { Size } from './size';
import { byText } from './order';
import { Kind } from './kind';

/** Memory a construct holds on the host it belongs to. */
export interface IMemoryReservation {
  /** How much RAM it holds at most. */
  readonly reservedMemory: Size;
  /** What holds it, in a few words ("ZFS ARC maximum"), for messages. */
  readonly reservationDescription: string;
  /** The construct's node: the reservation counts for the host whose subtree holds it. */
  readonly node: Node;
}

/** The kind of IMemoryReservation: `MEMORY_RESERVATION.mark(this)` in the constructor, `MEMORY_RESERVATION.is(x)` to recognise one (of any copy of the library). */
export const MEMORY_RESERVATION = Kind.named<IMemoryReservation>('MemoryReservation');

/** Every memory reservation in the subtree of `scope` (a host), sorted by construct path. */
export function memoryReservationsUnder(scope: IConstruct): IMemoryReservation[] {
  return scope.node
    .findAll()
    .filter((c): c is IConstruct & IMemoryReservation => MEMORY_RESERVATION.is(c))
    .sort(byText((x) => x.node.path));
}
