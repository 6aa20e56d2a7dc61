/**
 * What a construct adds to the picture of the lab (`homelab diagram`): boxes for itself, the
 * groups it holds (a hypervisor's VMs) and the lines that tie it to the rest (Wake-on-LAN, DNS
 * forwarding, a cluster join). Each construct says so itself ({@link IDiagramPartHolder}); the
 * diagram draws the LAN and its hosts, then what the holders state, and lists no construct class.
 */
import { IConstruct } from 'constructs';
import { Kind } from './kind';

/** The shape of a box of the diagram. */
export enum DiagramShape {
  /** A machine. */
  BOX = 'box',
  /** Something that runs on a machine (a pod, a plain VM). */
  ROUND = 'round',
  /** Storage (a pool). */
  DATABASE = 'database',
}

/** A box of the diagram. */
export interface DiagramNode {
  /** The construct the box stands for (it names the box). */
  readonly node: IConstruct;
  /** The lines of its label, first the name. */
  readonly label: readonly string[];
  /**
   * Its shape.
   * @default DiagramShape.BOX
   */
  readonly shape?: DiagramShape;
  /**
   * Add the roles its host construct has (see `IHostRoleHolder`) below the label: for a
   * host drawn inside a group.
   * @default false
   */
  readonly withRoles?: boolean;
}

/** A line between two boxes (a construct with a box of its own, a group or a host). */
export interface DiagramEdge {
  /** Where it starts. */
  readonly from: IConstruct;
  /** Where it ends. */
  readonly to: IConstruct;
  /**
   * Its label (`Wake-on-LAN`, `DNS :5353`).
   * @default - no label
   */
  readonly label?: string;
  /**
   * A dotted line (something occasional or indirect: a wake-up, a pod's placement).
   * @default false
   */
  readonly dotted?: boolean;
  /**
   * An arrow (a direction: who asks whom, who joins whom).
   * @default false
   */
  readonly arrow?: boolean;
}

/** A group of boxes (a hypervisor's VMs), tied to the box of what holds it. */
export interface DiagramGroup {
  /** The construct the group stands for. */
  readonly group: IConstruct;
  /** Its title. */
  readonly label: string;
  /** Its boxes; a host among them is drawn here, not in the LAN. */
  readonly members: readonly DiagramNode[];
  /** The box the group hangs from (the hypervisor's host). */
  readonly attachedTo: IConstruct;
}

/** What one construct adds to the diagram. */
export interface DiagramParts {
  /**
   * Boxes drawn in the LAN, each with the router as its default route: the hosts. The diagram
   * draws them by their name (the first line of the label) and leaves out a box that a group holds.
   * @default - none
   */
  readonly lan?: readonly DiagramNode[];
  /**
   * Groups of boxes, drawn after the LAN.
   * @default - none
   */
  readonly groups?: readonly DiagramGroup[];
  /**
   * Boxes of its own, drawn after the groups.
   * @default - none
   */
  readonly nodes?: readonly DiagramNode[];
  /**
   * Lines, drawn after its boxes.
   * @default - none
   */
  readonly edges?: readonly DiagramEdge[];
}

/** A construct that adds to the diagram. */
export interface IDiagramPartHolder extends IConstruct {
  /** What it adds. */
  diagramParts(): DiagramParts;
}

const DIAGRAM_PART_HOLDER = Kind.named<IDiagramPartHolder>('DiagramPartHolder');

/** Marks a construct as an {@link IDiagramPartHolder}; call it in the construct's constructor. */
export function markDiagramPartHolder(holder: IDiagramPartHolder): void {
  DIAGRAM_PART_HOLDER.mark(holder);
}

/** Is `x` a diagram part holder (of any copy of this library)? */
export function isDiagramPartHolder(x: unknown): x is IDiagramPartHolder {
  return DIAGRAM_PART_HOLDER.is(x);
}
