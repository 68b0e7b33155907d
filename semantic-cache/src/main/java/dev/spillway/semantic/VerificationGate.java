package dev.spillway.semantic;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A cheap check on the best candidate that embeddings cannot make: sentence embeddings put "flights from A to B" and
 * "flights from B to A", or "how do I reset my password" and "how do I not reset my password", within a few hundredths
 * of each other. Each {@link Rule} rejects one kind of look-alike; all work on {@link PromptNormalizer normalised}
 * text, split on spaces. What each rule costs and what it buys (QQP recall lost, PAWS false hits stopped) is measured
 * by {@code CacheMatchEval} and recorded in docs/cache.md.
 *
 * <p>Immutable and thread-safe.
 */
public final class VerificationGate {
  /** One way two prompts can look alike yet ask different things. */
  public enum Rule {
    /**
     * The numbers must be the same (as a multiset): digit tokens as written (3.5, 1000, 2019, b4 after expansion is a
     * word), and the number words two to twenty, thirty to ninety, hundred, thousand, million, billion, read as
     * digits. "one" is left out: far more often a pronoun ("which one") than a count.
     */
    NUMBERS,
    /**
     * Negated or not, both the same: a prompt is negated when it holds one of not, no, never, without, nor, neither,
     * none, nobody, nothing, nowhere, cannot (contractions are spelled out by the normaliser: don't → do not).
     */
    NEGATION,
    /**
     * The content words the two prompts share (words outside a short stop-word list, each counted at its first
     * occurrence) must come in the same relative order: no inversion at all. Catches PAWS-style swaps ("from A to
     * B" / "from B to A", "A beat B" / "B beat A"), but also rejects harmless reorderings ("best books about X" /
     * "best X books").
     */
    ORDER,
    /**
     * Softer than {@link #ORDER}: a shared content word that is introduced by a preposition in both prompts (the
     * nearest of from, to, by, for, of, in, on, at, with, into, onto, than, between, against, via, towards, over,
     * under, after, before, within the three words before it) must be introduced by the same one. Catches "from A to
     * B" / "from B to A" while letting "best books about X" / "best X books" through.
     */
    ROLES
  }

  /** Why the gate answered as it did; {@link #PASS} lets the candidate through. */
  public enum Verdict { PASS, NUMBERS_DIFFER, NEGATION_DIFFERS, ORDER_DIFFERS, ROLES_DIFFER }

  private static final Set<String> NEGATIONS = Set.of("not", "no", "never", "without", "nor", "neither", "none",
      "nobody", "nothing", "nowhere", "cannot");
  private static final Set<String> PREPOSITIONS = Set.of("from", "to", "by", "for", "of", "in", "on", "at", "with",
      "into", "onto", "than", "between", "against", "via", "towards", "toward", "over", "under", "after", "before");
  private static final Set<String> STOP_WORDS = Set.of("a", "an", "the", "and", "or", "but", "if", "then", "so",
      "of", "to", "in", "on", "at", "by", "for", "with", "from", "about", "as", "into", "onto", "over", "under",
      "between", "through", "during", "before", "after", "than", "too", "very", "is", "are", "was", "were", "be",
      "been", "being", "am", "do", "does", "did", "have", "has", "had", "i", "me", "my", "we", "our", "you", "your",
      "he", "him", "his", "she", "her", "it", "its", "they", "them", "their", "what", "which", "who", "whom", "whose",
      "this", "that", "these", "those", "there", "here", "when", "where", "why", "how", "all", "any", "some", "can",
      "will", "would", "should", "could", "may", "might", "must", "shall", "also", "only", "just", "s", "t", "get",
      "one", "via", "against", "towards", "toward");
  private static final Map<String, String> NUMBER_WORDS = numberWords();
  private static final int ROLE_WINDOW = 3;

  private final Set<Rule> rules;

  private VerificationGate(Set<Rule> rules) {
    this.rules = rules;
  }

  /** The default gate: {@link Rule#NUMBERS}, {@link Rule#NEGATION} and {@link Rule#ORDER} (see docs/cache.md). */
  public static VerificationGate standard() {
    return of(EnumSet.of(Rule.NUMBERS, Rule.NEGATION, Rule.ORDER));
  }

  /** A gate that applies exactly {@code rules} (none: every candidate passes). */
  public static VerificationGate of(Set<Rule> rules) {
    requireNonNull(rules, "rules");
    return new VerificationGate(rules.isEmpty() ? EnumSet.noneOf(Rule.class) : EnumSet.copyOf(rules));
  }

  /** The rules this gate applies. */
  public Set<Rule> rules() {
    return EnumSet.copyOf(rules.isEmpty() ? EnumSet.noneOf(Rule.class) : rules);
  }

  /** Checks {@code candidate} (a stored prompt) against {@code query}; both normalised. */
  public Verdict check(String query, String candidate) {
    requireNonNull(query, "query");
    requireNonNull(candidate, "candidate");
    if (rules.isEmpty()) {
      return Verdict.PASS;
    }
    String[] q = words(query);
    String[] c = words(candidate);
    if (rules.contains(Rule.NUMBERS) && !numbers(q).equals(numbers(c))) {
      return Verdict.NUMBERS_DIFFER;
    }
    if (rules.contains(Rule.NEGATION) && negated(q) != negated(c)) {
      return Verdict.NEGATION_DIFFERS;
    }
    if (rules.contains(Rule.ORDER) && !sameOrder(q, c)) {
      return Verdict.ORDER_DIFFERS;
    }
    if (rules.contains(Rule.ROLES) && !sameRoles(q, c)) {
      return Verdict.ROLES_DIFFER;
    }
    return Verdict.PASS;
  }

  private static String[] words(String text) {
    return text.isEmpty() ? new String[0] : text.split(" ");
  }

  private static Map<String, Integer> numbers(String[] words) {
    Map<String, Integer> counts = new TreeMap<>();
    for (String w : words) {
      String n = NUMBER_WORDS.get(w);
      if (n == null && hasDigit(w)) {
        n = w;
      }
      if (n != null) {
        counts.merge(n, 1, Integer::sum);
      }
    }
    return counts;
  }

  private static boolean hasDigit(String w) {
    for (int i = 0; i < w.length(); i++) {
      if (Character.isDigit(w.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  private static boolean negated(String[] words) {
    for (String w : words) {
      if (NEGATIONS.contains(w)) {
        return true;
      }
    }
    return false;
  }

  private static boolean content(String w) {
    return !STOP_WORDS.contains(w) && !NEGATIONS.contains(w);
  }

  /** First position of each content word. */
  private static Map<String, Integer> firstPositions(String[] words) {
    Map<String, Integer> positions = new HashMap<>();
    for (int i = 0; i < words.length; i++) {
      if (content(words[i])) {
        positions.putIfAbsent(words[i], i);
      }
    }
    return positions;
  }

  private static boolean sameOrder(String[] q, String[] c) {
    Map<String, Integer> inCandidate = firstPositions(c);
    List<Integer> order = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < q.length; i++) {
      Integer pos = inCandidate.get(q[i]);
      if (pos != null && content(q[i]) && seen.putIfAbsent(q[i], i) == null) {
        order.add(pos);
      }
    }
    for (int i = 1; i < order.size(); i++) {
      if (order.get(i) < order.get(i - 1)) {
        return false;
      }
    }
    return true;
  }

  private static boolean sameRoles(String[] q, String[] c) {
    Map<String, Integer> inCandidate = firstPositions(c);
    Map<String, Integer> inQuery = firstPositions(q);
    for (Map.Entry<String, Integer> e : inQuery.entrySet()) {
      Integer pos = inCandidate.get(e.getKey());
      if (pos == null) {
        continue;
      }
      String roleQ = role(q, e.getValue());
      String roleC = role(c, pos);
      if (roleQ != null && roleC != null && !roleQ.equals(roleC)) {
        return false;
      }
    }
    return true;
  }

  private static String role(String[] words, int at) {
    for (int i = at - 1; i >= 0 && i >= at - ROLE_WINDOW; i--) {
      if (PREPOSITIONS.contains(words[i])) {
        return words[i];
      }
    }
    return null;
  }

  private static Map<String, String> numberWords() {
    String[] units = {"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"};
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < units.length; i++) {
      m.put(units[i], Integer.toString(i + 2));
    }
    String[] tens = {"thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"};
    for (int i = 0; i < tens.length; i++) {
      m.put(tens[i], Integer.toString((i + 3) * 10));
    }
    m.put("hundred", "100");
    m.put("thousand", "1000");
    m.put("million", "1000000");
    m.put("billion", "1000000000");
    return Map.copyOf(m);
  }
}
