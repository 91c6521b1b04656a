/**
 * The part of d3's API the app uses, typed. (The project has no @types/d3; these declarations
 * cover only what web/ calls.)
 */
declare module 'd3' {
  export interface ScaleLinear {
    (value: number): number;
    domain(): [number, number];
    domain(d: [number, number]): ScaleLinear;
    range(r: [number, number]): ScaleLinear;
    nice(count?: number): ScaleLinear;
    ticks(count?: number): number[];
    invert(value: number): number;
  }
  export interface ScaleTime {
    (value: number | Date): number;
    domain(d: [number | Date, number | Date]): ScaleTime;
    range(r: [number, number]): ScaleTime;
    ticks(count?: number): Date[];
    invert(value: number): Date;
  }
  export function scaleLinear(): ScaleLinear;
  export function scaleTime(): ScaleTime;

  export interface LineGenerator<T> {
    (data: readonly T[]): string | null;
    x(f: (d: T, i: number) => number): LineGenerator<T>;
    y(f: (d: T, i: number) => number): LineGenerator<T>;
    defined(f: (d: T) => boolean): LineGenerator<T>;
    curve(c: unknown): LineGenerator<T>;
  }
  export interface AreaGenerator<T> {
    (data: readonly T[]): string | null;
    x(f: (d: T, i: number) => number): AreaGenerator<T>;
    y0(y: number | ((d: T) => number)): AreaGenerator<T>;
    y1(f: (d: T, i: number) => number): AreaGenerator<T>;
    curve(c: unknown): AreaGenerator<T>;
  }
  export function line<T>(): LineGenerator<T>;
  export function area<T>(): AreaGenerator<T>;
  export const curveMonotoneX: unknown;

  export interface Axis {
    ticks(count: number): Axis;
    tickSize(size: number): Axis;
    tickSizeOuter(size: number): Axis;
    tickPadding(p: number): Axis;
    tickFormat(f: (d: never, i: number) => string): Axis;
  }
  export function axisBottom(scale: ScaleLinear | ScaleTime): Axis;
  export function axisLeft(scale: ScaleLinear | ScaleTime): Axis;

  export interface Selection {
    call(f: Axis | ((s: Selection) => void)): Selection;
    selectAll(selector: string): Selection;
    attr(name: string, value: string | number | null): Selection;
    remove(): Selection;
  }
  export function select(node: Element): Selection;

  export function timeFormat(specifier: string): (d: Date) => string;
  export function format(specifier: string): (n: number) => string;
}
