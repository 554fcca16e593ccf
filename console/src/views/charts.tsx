import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "./ledger.css";

/**
 * A bar-like series over block heights, drawn by uPlot (a canvas), with what a screen
 * reader or a printout needs beside it: a one-line summary and the data as a table.
 */

export interface ChartProps {
  testid: string;
  title: string;
  /** One sentence saying what the chart shows (also the canvas's accessible name). */
  summary: string;
  xLabel: string;
  yLabel: string;
  /** Block heights, ascending. */
  x: number[];
  y: number[];
  /** Column headings and cells of the text alternative. */
  tableCaption: string;
  columns: [string, string];
}

const STROKE = "#0b5cad";
const FILL = "rgba(11, 92, 173, 0.25)";

export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || props.x.length === 0) return;
    const plot = new uPlot(
      {
        width: Math.max(280, Math.min(560, el.clientWidth || 560)),
        height: 220,
        legend: { show: false },
        cursor: { show: true, drag: { x: false, y: false } },
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] } },
        axes: [
          {
            label: props.xLabel,
            stroke: "#1b1f24",
            grid: { stroke: "#e3e7ec" },
            incrs: [1, 2, 5, 10, 20, 50],
          },
          { label: props.yLabel, stroke: "#1b1f24", grid: { stroke: "#e3e7ec" } },
        ],
        series: [
          {},
          {
            label: props.yLabel,
            stroke: STROKE,
            fill: FILL,
            width: 2,
            points: { show: true, size: 6, fill: STROKE },
            paths: uPlot.paths.bars?.({ size: [0.6, 40] }),
          },
        ],
      },
      [props.x, props.y],
      el,
    );
    return () => plot.destroy();
  }, [props.x, props.y, props.xLabel, props.yLabel]);

  return (
    <figure class="chart" data-testid={props.testid}>
      <figcaption>
        <strong>{props.title}</strong>
      </figcaption>
      <p class="chart-summary" data-testid={`${props.testid}-summary`}>
        {props.summary}
      </p>
      <div ref={box} class="chart-canvas" role="img" aria-label={`${props.title}. ${props.summary}`} />
      <details>
        <summary>{props.tableCaption}</summary>
        <table>
          <caption class="visually-hidden">{props.title}</caption>
          <thead>
            <tr>
              <th scope="col">{props.columns[0]}</th>
              <th scope="col">{props.columns[1]}</th>
            </tr>
          </thead>
          <tbody>
            {props.x.map((x, i) => (
              <tr key={x}>
                <th scope="row">{x}</th>
                <td>{props.y[i]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
