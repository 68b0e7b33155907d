package dev.spillway.dataplane.requestlog;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes secrets and personal data from text before it leaves the node: provider and virtual keys, bearer tokens,
 * JSON web tokens, e-mail addresses, card numbers (only digit runs that pass the Luhn check, so order numbers and
 * timestamps stay), phone numbers, and the admin's own patterns. Each match becomes {@code [REDACTED:kind]}.
 *
 * <p>Works on the JSON text as sent: none of the patterns can match a quote or a backslash, and the replacement
 * holds neither, so valid JSON stays valid. Immutable and thread-safe.
 */
public final class Redactor {
  private record Rule(String kind, Pattern pattern, boolean luhn) {}

  /** Most specific first: a key inside a bearer header is a key. */
  private static final List<Rule> BUILT_IN = List.of(
      // OpenAI (sk-, sk-proj-), Anthropic (sk-ant-), Spillway's virtual keys (sk-sw-) and most look-alikes.
      new Rule("api_key", Pattern.compile("\\bsk-[A-Za-z0-9_-]{12,}"), false),
      new Rule("api_key", Pattern.compile("\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b"), false),
      new Rule("api_key", Pattern.compile("\\bAIza[0-9A-Za-z_-]{35}"), false),
      new Rule("api_key", Pattern.compile("\\b(?:gh[pousr]|github_pat)_[A-Za-z0-9_]{30,}"), false),
      new Rule("api_key", Pattern.compile("\\bxox[abprs]-[A-Za-z0-9-]{10,}"), false),
      new Rule("jwt", Pattern.compile("\\beyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}"), false),
      new Rule("bearer_token", Pattern.compile("(?i)\\bbearer\\s+[A-Za-z0-9._~+/=-]{8,}"), false),
      new Rule("email", Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}"),
          false),
      new Rule("card_number", Pattern.compile("(?<![\\d.])\\d(?:[ -]?\\d){12,18}(?![\\d.])"), true),
      // Phone numbers in the forms people write them: international (+44 20 7946 0958, +1 (555) 123-4567) and
      // North American (555-123-4567, (555) 123-4567). Bare digit groups are too ambiguous (invoice numbers).
      new Rule("phone", Pattern.compile(
          "(?<![\\w+])\\+\\d{1,3}[ .-]?\\(?\\d{1,4}\\)?(?:[ .-]?\\d{2,4}){2,4}(?![\\w])"), false),
      new Rule("phone", Pattern.compile(
          "(?<![\\w(])(?:\\(\\d{3}\\) ?|\\d{3}[.-])\\d{3}[.-]\\d{4}(?![\\w])"), false));

  /** The built-in rules only. */
  public static final Redactor BUILT_IN_ONLY = new Redactor(List.of());

  private final List<Rule> rules;

  private Redactor(List<Rule> rules) {
    this.rules = rules;
  }

  /** The built-in rules and {@code patterns} (regular expressions already checked by the snapshot's validator). */
  public static Redactor with(List<String> patterns) {
    if (patterns == null || patterns.isEmpty()) {
      return BUILT_IN_ONLY;
    }
    List<Rule> custom = new ArrayList<>(patterns.size());
    for (String pattern : patterns) {
      custom.add(new Rule("custom", Pattern.compile(pattern), false));
    }
    return new Redactor(List.copyOf(custom));
  }

  /** {@code text} with every match replaced; the same instance when nothing matched. */
  public String redact(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String out = text;
    for (Rule rule : BUILT_IN) {
      out = apply(rule, out);
    }
    if (!rules.isEmpty()) {
      // An admin's pattern may backtrack catastrophically: it runs against a text that gives up after its time.
      long deadline = System.nanoTime() + CUSTOM_BUDGET_NANOS;
      for (Rule rule : rules) {
        out = apply(rule, new Deadlined(out, deadline)).toString();
      }
    }
    return out;
  }

  /**
   * A length up to {@code max} that ends before a space, quote or punctuation, when one is near: where to cut a text
   * before redacting it, so that no half of a secret (which the patterns would no longer know) is kept.
   */
  public static int wordEdge(String text, int max) {
    for (int i = max; i > Math.max(0, max - 128); i--) {
      char c = text.charAt(i - 1);
      if (Character.isWhitespace(c) || c == '"' || c == ',' || c == '{' || c == '}' || c == '[' || c == ']') {
        return i;
      }
    }
    return Math.max(0, max - 128);
  }

  /** How long the admin's patterns may take over one text before it is given up (and not stored). */
  static final long CUSTOM_BUDGET_NANOS = 100_000_000L;

  /** The admin's patterns took too long over a text: it must not be stored, since it may not be redacted. */
  public static final class TooSlow extends RuntimeException {
    TooSlow() {
      super("the redaction patterns took longer than " + CUSTOM_BUDGET_NANOS / 1_000_000 + " ms", null, false, false);
    }
  }

  /** A text whose reads fail once the deadline has passed, which stops a backtracking matcher. */
  private static final class Deadlined implements CharSequence {
    private final CharSequence text;
    private final long deadline;
    private int reads;

    Deadlined(CharSequence text, long deadline) {
      this.text = text;
      this.deadline = deadline;
    }

    @Override
    public int length() {
      return text.length();
    }

    @Override
    public char charAt(int index) {
      if ((++reads & 0x3FF) == 0 && System.nanoTime() - deadline > 0) {
        throw new TooSlow();
      }
      return text.charAt(index);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return new Deadlined(text.subSequence(start, end), deadline);
    }

    @Override
    public String toString() {
      return text.toString();
    }
  }

  private static String apply(Rule rule, String text) {
    return apply(rule, (CharSequence) text).toString();
  }

  private static CharSequence apply(Rule rule, CharSequence text) {
    Matcher m = rule.pattern().matcher(text);
    if (!m.find()) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    int last = 0;
    do {
      if (rule.luhn() && !luhn(m.group())) {
        continue;
      }
      out.append(text, last, m.start()).append("[REDACTED:").append(rule.kind()).append(']');
      last = m.end();
    } while (m.find());
    if (last == 0) {
      return text;
    }
    return out.append(text, last, text.length()).toString();
  }

  /** Whether the digits of {@code candidate} (separators ignored) pass the Luhn check. */
  static boolean luhn(String candidate) {
    int sum = 0;
    int digits = 0;
    boolean doubled = false;
    for (int i = candidate.length() - 1; i >= 0; i--) {
      char c = candidate.charAt(i);
      if (c < '0' || c > '9') {
        continue;
      }
      int d = c - '0';
      if (doubled) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
      digits++;
      doubled = !doubled;
    }
    return digits >= 13 && digits <= 19 && sum % 10 == 0;
  }
}
