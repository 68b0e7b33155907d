package dev.spillway.controlplane.virtualkey.web;

import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.dashboard.Forms;
import dev.spillway.controlplane.dashboard.LimitsForm;
import dev.spillway.controlplane.virtualkey.VirtualKey;
import dev.spillway.controlplane.virtualkey.VirtualKeyRequest;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The dashboard's virtual-key form: team, name, allowed models, budget, rate limit, expiry date (UTC). The limit
 * fields, checkboxes included, behave as in {@link LimitsForm}.
 */
public record KeyForm(String teamId, String name, String models, String limitUsd, String period,
    Boolean enforceBudget, String onUnreachable, String rpm, String tpm, String maxConcurrent,
    Boolean enforceRateLimit, String expiresOn) {

  public KeyForm {
    enforceBudget = enforceBudget == null ? Boolean.TRUE : enforceBudget;
    enforceRateLimit = enforceRateLimit == null ? Boolean.TRUE : enforceRateLimit;
  }

  public static KeyForm empty(String teamId) {
    return new KeyForm(teamId == null ? "" : teamId, "", "", "", "monthly", true, "fail_closed", "", "", "", true,
        "");
  }

  public static KeyForm of(VirtualKey k) {
    LimitsForm l = LimitsForm.of(k.budget(), k.rateLimit());
    return new KeyForm(k.teamId().toString(), k.name(), String.join(", ", k.models()), l.limitUsd(), l.period(),
        l.enforceBudget(), l.onUnreachable(), l.rpm(), l.tpm(), l.maxConcurrent(), l.enforceRateLimit(),
        k.expiresAt() == null ? "" : k.expiresAt().minusSeconds(1).atZone(ZoneOffset.UTC).toLocalDate().toString());
  }

  /** The same form for the key's own team: the team of a key cannot be changed, whatever was posted. */
  public KeyForm inTeam(String keyTeamId) {
    return new KeyForm(keyTeamId, name, models, limitUsd, period, enforceBudget, onUnreachable, rpm, tpm,
        maxConcurrent, enforceRateLimit, expiresOn);
  }

  /**
   * The API request; the key's cache and request-log settings and metadata are kept from {@code current} (null on
   * create).
   */
  public VirtualKeyRequest toRequest(VirtualKey current) {
    LimitsForm limits = new LimitsForm(limitUsd, period, enforceBudget, onUnreachable, rpm, tpm, maxConcurrent,
        enforceRateLimit);
    List<String> modelList = models == null ? List.of() : Arrays.stream(models.split("[,\\s]+"))
        .map(String::strip).filter(s -> !s.isEmpty()).toList();
    return new VirtualKeyRequest(name, Forms.text(teamId), modelList, limits.budget(), limits.rateLimit(),
        current == null ? null : dev.spillway.controlplane.common.CacheBody.of(current.cache()),
        current == null ? null : dev.spillway.controlplane.common.LoggingBody.of(current.logging()), expiresAt(),
        current == null ? Map.of("created_by", "dashboard") : current.metadata());
  }

  /** The end of the chosen day (UTC): a key "expiring on the 31st" works through the 31st. */
  private Instant expiresAt() {
    String v = Forms.text(expiresOn);
    if (v == null) {
      return null;
    }
    try {
      return LocalDate.parse(v).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    } catch (DateTimeParseException e) {
      throw ApiException.invalid("expires_at", "must be a date such as 2030-12-31");
    }
  }
}
