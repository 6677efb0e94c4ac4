/** uPlot time series (canvas: fast with thousands of points). Sized to its container. */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  color: string;
  values: (number | null)[];
  fill?: boolean;
}

interface Props {
  times: number[];
  series: Series[];
  label: string;
  height?: number;
  stacked?: boolean;
  unit?: string;
}

export function TimeChart({ times, series, label, height = 240, unit = '' }: Props) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current!;
    const plot = new uPlot(
      {
        width: el.clientWidth || 600,
        height,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [
          { stroke: '#5b6776', grid: { stroke: '#eef1f4' } },
          {
            stroke: '#5b6776',
            grid: { stroke: '#eef1f4' },
            size: 60,
            values: (_u, ticks) => ticks.map((t) => `${t}${unit}`),
          },
        ],
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 1.5,
            fill: s.fill ? `${s.color}22` : undefined,
            // Points only where lines cannot show (a lone bucket); uPlot decides by density.
            points: { size: 5 },
          })),
        ],
      },
      [times, ...series.map((s) => s.values)] as uPlot.AlignedData,
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [times, series, height, unit]);
  return <div className="chart" ref={host} role="img" aria-label={label} />;
}
