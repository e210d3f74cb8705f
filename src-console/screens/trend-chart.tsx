import { useEffect, useId, useRef, useState } from 'react';
import type { DailySnapshot } from '../api/types.js';
import { formatCount, formatDate } from '../format.js';
import { STATUS_NAMES, STATUS_ORDER } from '../strings.js';

/** Drawn at the figure's own width (one SVG unit = one pixel), so labels stay legible on a phone. */
const H = 220;
const PAD = { top: 12, right: 12, bottom: 28, left: 52 };

/**
 * The last 30 days of status counts as stacked columns, one per day. The SVG is one image with a text
 * summary (role="img" + <title>/<desc>) for screen readers; the exact numbers are in the table below it,
 * which every user can open. Days without a snapshot are absent (not zero), so the columns are the days
 * the server has. Colours come from the design tokens through CSS classes (no inline styles),
 * so the chart follows light and dark like the rest.
 */
export function TrendChart({ daily }: { daily: DailySnapshot[] }) {
  const titleId = useId();
  const figure = useRef<HTMLElement>(null);
  const [W, setW] = useState(720);
  useEffect(() => {
    const el = figure.current;
    if (!el) return;
    const measure = () => setW(Math.max(280, Math.round(el.clientWidth - 32)));
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const descId = useId();
  const keys = STATUS_ORDER.filter((k) => daily.some((d) => (d.counts[k] ?? 0) > 0));
  if (daily.length === 0) {
    return <p className="muted">No daily counts yet: the first is taken within the hour.</p>;
  }
  const totals = daily.map((d) => keys.reduce((s, k) => s + (d.counts[k] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const step = niceStep(max);
  const top = Math.ceil(max / step) * step;
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const col = innerW / Math.max(1, daily.length);
  const y = (v: number) => PAD.top + innerH - (v / top) * innerH;
  const first = daily[0];
  const last = daily[daily.length - 1];
  const summary =
    first && last
      ? `From ${formatDate(first.day)} to ${formatDate(last.day)}. On the last day: ${keys
          .map((k) => `${STATUS_NAMES[k]} ${formatCount(last.counts[k] ?? 0)}`)
          .join(', ')}.`
      : 'No daily counts yet.';

  return (
    <figure className="chart" ref={figure}>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby={`${titleId} ${descId}`}
        className="chart-svg"
      >
        <title id={titleId}>Hosts by status, last {daily.length} days</title>
        <desc id={descId}>{summary}</desc>
        {ticks(top, step).map((v) => (
          <g key={v} className="chart-grid">
            <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} />
            <text x={PAD.left - 6} y={y(v) + 4} textAnchor="end">
              {formatCount(v)}
            </text>
          </g>
        ))}
        {daily.map((d, i) => {
          let acc = 0;
          return (
            <g key={d.day}>
              {keys.map((k) => {
                const v = d.counts[k] ?? 0;
                if (v === 0) return null;
                const y0 = y(acc);
                acc += v;
                return (
                  <rect
                    key={k}
                    className={`series-${k}`}
                    x={PAD.left + i * col + col * 0.15}
                    width={col * 0.7}
                    y={y(acc)}
                    height={Math.max(0, y0 - y(acc))}
                  />
                );
              })}
              {labelled(i, daily.length, col) ? (
                <text className="chart-axis" x={PAD.left + i * col + col / 2} y={H - 8} textAnchor="middle">
                  {shortDate(d.day)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul className="legend" aria-label="Legend">
          {keys.map((k) => (
            <li key={k}>
              <svg width="12" height="12" aria-hidden="true">
                <rect className={`series-${k}`} width="12" height="12" rx="2" />
              </svg>
              {STATUS_NAMES[k]}
            </li>
          ))}
        </ul>
        <details className="chart-table">
          <summary>Show the numbers as a table</summary>
          <div className="table-scroll">
            <table>
              <caption className="visually-hidden">Hosts by status per day</caption>
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  {keys.map((k) => (
                    <th key={k} scope="col" className="num">
                      {STATUS_NAMES[k]}
                    </th>
                  ))}
                  <th scope="col" className="num">
                    Total
                  </th>
                </tr>
              </thead>
              <tbody>
                {daily.map((d, i) => (
                  <tr key={d.day}>
                    <th scope="row">{formatDate(d.day)}</th>
                    {keys.map((k) => (
                      <td key={k} className="num">
                        {formatCount(d.counts[k] ?? 0)}
                      </td>
                    ))}
                    <td className="num">{formatCount(totals[i] ?? 0)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      </figcaption>
    </figure>
  );
}

/**
 * Which days get a date under them: the last day, and every week back from it (every two weeks when the
 * columns are too narrow for a label a week), never one that would touch the last day's label.
 */
function labelled(i: number, n: number, col: number): boolean {
  const step = 7 * Math.max(1, Math.ceil(64 / (7 * col)));
  const back = n - 1 - i;
  return back === 0 || (back % step === 0 && back >= step);
}

function niceStep(max: number): number {
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  // Whole hosts only: a fleet of three never gets a 0.5 tick.
  return Math.max(1, (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag);
}

function ticks(top: number, step: number): number[] {
  const out: number[] = [];
  for (let v = 0; v <= top + step / 2; v += step) out.push(v);
  return out;
}

function shortDate(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, {
    month: 'short',
    day: 'numeric',
    timeZone: 'UTC',
  });
}
