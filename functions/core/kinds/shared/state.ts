/**
 * What planning knows of the archive (the source) and of the target, by kind. A kind adds its own
 * records in its module (TypeScript's declaration merging):
 * `declare module '…/shared/state.js' { interface SourceRecords { tags: Tag[] } interface TargetRecords { tags: Tag[] | undefined } }`.
 * Source records are what the kind's `summarize` makes of an archived record (else the record);
 * target records are what its `readTarget` reads (else its listing), undefined when the target
 * will not list them (unlicensed, a scope the key lacks).
 */

import type { OversizedRecord } from './plan-records.js';

// biome-ignore lint/suspicious/noEmptyInterface: a registry the kinds' modules extend by declaration merging
export interface SourceRecords {}

// biome-ignore lint/suspicious/noEmptyInterface: a registry the kinds' modules extend by declaration merging
export interface TargetRecords {}

export type SourceState = SourceRecords & {
  /** resource → why the backup has none of it */
  skipped: Map<string, string>;
  /** Records whose write body is large enough that a target's payload limit may refuse it. */
  large?: readonly OversizedRecord[];
};

/** The target as planning sees it; an undefined kind cannot be written (see `unavailable`). */
export type TargetState = TargetRecords & { unavailable: Map<string, string> };
