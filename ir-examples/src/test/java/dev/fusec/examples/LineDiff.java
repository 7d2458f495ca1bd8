package dev.fusec.examples;

import java.util.ArrayList;
import java.util.List;

/**
 * A line diff of two texts for golden-file failures: a longest-common-subsequence alignment, printed
 * with "- " for lines only in the expected text, "+ " for lines only in the actual one, "  " for both.
 * Golden files are a page long, so the quadratic table is no concern.
 */
final class LineDiff {
    private LineDiff() {}

    static String of(String expected, String actual) {
        List<String> a = lines(expected);
        List<String> b = lines(actual);
        int[][] common = new int[a.size() + 1][b.size() + 1];
        for (int i = a.size() - 1; i >= 0; i--) {
            for (int j = b.size() - 1; j >= 0; j--) {
                common[i][j] = a.get(i).equals(b.get(j))
                        ? common[i + 1][j + 1] + 1
                        : Math.max(common[i + 1][j], common[i][j + 1]);
            }
        }
        StringBuilder sb = new StringBuilder();
        int i = 0;
        int j = 0;
        while (i < a.size() || j < b.size()) {
            if (i < a.size() && j < b.size() && a.get(i).equals(b.get(j))) {
                sb.append("  ").append(a.get(i++)).append('\n');
                j++;
            } else if (i < a.size() && (j == b.size() || common[i + 1][j] >= common[i][j + 1])) {
                sb.append("- ").append(a.get(i++)).append('\n');
            } else {
                sb.append("+ ").append(b.get(j++)).append('\n');
            }
        }
        return sb.toString();
    }

    /** Lines, with a missing final newline shown, since it too makes the texts differ. */
    private static List<String> lines(String text) {
        List<String> out = new ArrayList<>(List.of(text.split("\n", -1)));
        if (out.get(out.size() - 1).isEmpty()) {
            out.remove(out.size() - 1);
        } else {
            out.set(out.size() - 1, out.get(out.size() - 1) + "  (no newline at end)");
        }
        return out;
    }
}
