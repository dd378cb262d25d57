package org.tessera.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A plain text table with aligned columns (numbers right-aligned), for the commands' output. */
final class Table {
    private final String[] header;
    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
        this.header = header;
    }

    Table row(Object... cells) {
        String[] r = new String[header.length];
        for (int i = 0; i < r.length; i++) r[i] = i < cells.length ? String.valueOf(cells[i]) : "";
        rows.add(r);
        return this;
    }

    void print(PrintWriter out) {
        int[] w = new int[header.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = header[i].length();
            for (String[] r : rows) w[i] = Math.max(w[i], r[i].length());
        }
        line(out, header, w);
        StringBuilder rule = new StringBuilder();
        for (int i = 0; i < w.length; i++) rule.append(i == 0 ? "" : "  ").append("-".repeat(w[i]));
        out.println(rule);
        for (String[] r : rows) line(out, r, w);
        out.flush();
    }

    private static void line(PrintWriter out, String[] cells, int[] w) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            boolean number = cells[i].matches("-?[0-9][0-9.,eE+-]*( ?[a-zA-Z/%]+)?");
            String fmt = "%" + (number ? "" : "-") + w[i] + "s";
            s.append(i == 0 ? "" : "  ").append(String.format(fmt, cells[i]));
        }
        out.println(s.toString().stripTrailing());
    }
}
