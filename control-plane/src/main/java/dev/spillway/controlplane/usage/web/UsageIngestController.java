package dev.spillway.controlplane.usage.web;

import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.usage.UsageBatchReader;
import dev.spillway.controlplane.usage.UsageIngestService;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /internal/v1/usage} (node token): a node's batch of usage events, NDJSON, plain or gzipped. Answers
 * {@code {"accepted": n, "duplicates": m}}: rows stored now, and lines that were stored before (or repeated in the
 * batch), so a node may send a batch again whenever it is unsure the last attempt arrived. A malformed batch is
 * refused whole (400, naming line and field), one over the limits with 413, and while the database is unavailable
 * with 503 (the node keeps the batch and retries).
 */
@RestController
class UsageIngestController {
  static final MediaType NDJSON = MediaType.parseMediaType("application/x-ndjson");

  private final UsageIngestService ingest;

  UsageIngestController(UsageIngestService ingest) {
    this.ingest = ingest;
  }

  @PostMapping("/internal/v1/usage")
  Map<String, Object> usage(HttpServletRequest request) throws IOException {
    requireNdjson(request.getContentType());
    boolean gzipped = gzipped(request.getHeader("Content-Encoding"));
    UsageIngestService.Result result = ingest.ingest(UsageBatchReader.read(request.getInputStream(), gzipped));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("accepted", result.accepted());
    body.put("duplicates", result.duplicates());
    return body;
  }

  private static void requireNdjson(String contentType) {
    try {
      if (contentType != null && NDJSON.equalsTypeAndSubtype(MediaType.parseMediaType(contentType))) {
        return;
      }
    } catch (InvalidMediaTypeException e) {
      // Answered below like any other type.
    }
    throw ApiException.unsupportedMediaType("send Content-Type: application/x-ndjson (one JSON object per line)");
  }

  private static boolean gzipped(String contentEncoding) {
    if (contentEncoding == null || contentEncoding.isBlank()) {
      return false;
    }
    String encoding = contentEncoding.strip().toLowerCase(Locale.ROOT);
    if (encoding.equals("identity")) {
      return false;
    }
    if (encoding.equals("gzip") || encoding.equals("x-gzip")) {
      return true;
    }
    throw ApiException.unsupportedMediaType("Content-Encoding " + contentEncoding.strip()
        + " is not supported; send gzip or no Content-Encoding");
  }
}
