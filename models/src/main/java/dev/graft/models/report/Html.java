package dev.graft.models.report;

import dev.graft.engine.io.AtomicFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The page the reports share: escaping and a self-contained HTML document. Every element is
 * closed and every attribute quoted, so the page also parses as XML, which keeps it checkable.
 */
final class Html {
    private static final String STYLE = """
            body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1100px; }
            h1 { font-size: 22px; margin-bottom: 4px; }
            h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ccc; padding-bottom: 4px; }
            h3 { font-size: 15px; margin: 18px 0 6px; }
            table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
            th, td { padding: 3px 10px; border: 1px solid #ddd; }
            th { background: #f3f3f3; text-align: left; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; }
            tr.best td { background: #fff4d6; }
            tr.summary td { border-top: 2px solid #999; }
            table.confusion td { text-align: right; min-width: 28px; font-variant-numeric: tabular-nums; }
            table.confusion th.axis { background: none; border: none; font-weight: normal; color: #666; }
            .charts { display: flex; flex-wrap: wrap; gap: 16px; }
            figure { margin: 0; }
            .note { color: #666; font-size: 13px; }
            svg text { font-family: sans-serif; font-size: 11px; fill: #333; }
            """;

    private Html() {
    }

    /** Escapes text for element content and quoted attribute values. */
    static String escape(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> {
                    // control characters are not allowed in XML 1.0 and have no business in a report
                    sb.append(c < 0x20 && c != '\n' && c != '\t' ? ' ' : c);
                }
            }
        }
        return sb.toString();
    }

    /** Writes a complete page around {@code body} (already HTML) atomically. */
    static void write(Path file, String title, String body) throws IOException {
        String page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>"
                + escape(title) + "</title>\n<style>\n" + STYLE + "</style>\n</head>\n<body>\n<h1>" + escape(title)
                + "</h1>\n" + body + "</body>\n</html>\n";
        byte[] bytes = page.getBytes(StandardCharsets.UTF_8);
        AtomicFile.replace(file, channel -> AtomicFile.writeFully(channel, ByteBuffer.wrap(bytes)));
    }
}
