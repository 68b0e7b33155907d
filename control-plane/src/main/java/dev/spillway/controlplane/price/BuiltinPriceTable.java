package dev.spillway.controlplane.price;

import dev.spillway.config.ProviderType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Reads the shipped price table ({@code prices/builtin-prices.csv}); a malformed row fails the start. */
public final class BuiltinPriceTable {
  public static final String RESOURCE = "prices/builtin-prices.csv";

  private BuiltinPriceTable() {}

  public static List<BuiltinPrice> load() {
    try (InputStream in = BuiltinPriceTable.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the classpath");
      }
      return parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<BuiltinPrice> parse(List<String> lines) {
    List<BuiltinPrice> prices = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split(",", -1);
      String where = RESOURCE + " line " + (i + 1);
      if (f.length != 5) {
        throw new IllegalStateException(where + ": expected 5 columns, got " + f.length);
      }
      if (ProviderType.find(f[0]).isEmpty()) {
        throw new IllegalStateException(where + ": unknown provider type " + f[0]);
      }
      if (!seen.add(f[0] + "/" + f[1])) {
        throw new IllegalStateException(where + ": duplicate price for " + f[0] + "/" + f[1]);
      }
      prices.add(new BuiltinPrice(f[0], f[1], price(where, f[2]), price(where, f[3]),
          f[4].isBlank() ? null : price(where, f[4])));
    }
    return prices;
  }

  private static BigDecimal price(String where, String value) {
    try {
      BigDecimal price = new BigDecimal(value.strip());
      if (price.signum() < 0) {
        throw new IllegalStateException(where + ": negative price " + value);
      }
      return price;
    } catch (NumberFormatException e) {
      throw new IllegalStateException(where + ": not a number: " + value);
    }
  }
}
