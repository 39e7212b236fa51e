package io.puhui.scheduler.sim;

import java.util.Locale;
import java.util.Map;

/**
 * A small SVG line chart: allocation (%) against arrived demand (%), with the ideal y = x for reference. Below
 * half of capacity every policy places everything, so when the runs go past full demand the chart starts at 50 %
 * on both axes, where the lines part.
 */
final class SvgChart {

    private static final String[] COLOURS = {"#7f7f7f", "#1f77b4", "#9467bd", "#ff7f0e", "#2ca02c", "#d62728",
            "#17becf", "#8c564b", "#e377c2", "#bcbd22"};

    private SvgChart() {
    }

    static String allocation(String title, Map<String, double[]> lines) {
        int width = 760;
        int height = 480;
        int left = 60;
        int right = 170;
        int topPad = 40;
        int bottom = 50;
        int xMax = 0;
        for (double[] y : lines.values()) {
            xMax = Math.max(xMax, y.length - 1);
        }
        double plotW = width - left - right;
        double plotH = height - topPad - bottom;
        double yMax = 100;
        final int xm = Math.max(1, xMax);
        final int lo = xMax >= 100 ? 50 : 0;
        java.util.function.DoubleUnaryOperator px = d -> left + (d - lo) * plotW / (xm - lo);
        java.util.function.DoubleUnaryOperator py = v -> topPad + plotH - (Math.min(v, yMax) - lo) / (yMax - lo) * plotH;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", width, height, width, height));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"14\">%s</text>%n", left, escape(title)));
        for (int g = lo; g <= 100; g += lo > 0 ? 5 : 10) {
            double y = py.applyAsDouble(g);
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>%n",
                    left, y, left + plotW, y));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d</text>%n", left - 6, y + 4, g));
        }
        for (int d = lo; d <= xm; d += 10) {
            double x = px.applyAsDouble(d);
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>%n",
                    x, topPad, x, topPad + plotH));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>%n",
                    x, topPad + plotH + 16, d));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">arrived accelerator demand (%% of capacity)</text>%n",
                left + plotW / 2, height - 12));
        s.append(String.format(Locale.ROOT, "<text transform=\"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\">allocated (%% of capacity)</text>%n",
                topPad + plotH / 2));
        double ideal = Math.min(xm, yMax);
        s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#bbbbbb\" stroke-dasharray=\"4 4\"/>%n",
                px.applyAsDouble(lo), py.applyAsDouble(lo), px.applyAsDouble(ideal), py.applyAsDouble(ideal)));
        int i = 0;
        for (Map.Entry<String, double[]> e : lines.entrySet()) {
            String colour = COLOURS[i % COLOURS.length];
            StringBuilder path = new StringBuilder();
            double[] y = e.getValue();
            for (int d = lo; d < y.length; d++) {
                if (Double.isNaN(y[d]) || y[d] < lo) {
                    continue;
                }
                path.append(path.isEmpty() ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f",
                        px.applyAsDouble(d), py.applyAsDouble(y[d])));
            }
            s.append(String.format(Locale.ROOT, "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n", path, colour));
            double last = y[y.length - 1];
            double ly = topPad + 14 + i * 20;
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/>%n",
                    left + plotW + 12, ly - 4, left + plotW + 32, ly - 4, colour));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\">%s %.2f%%</text>%n", left + plotW + 38, ly,
                    escape(e.getKey()), last));
            i++;
        }
        s.append("</svg>\n");
        return s.toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
