package dev.spillway.controlplane.lease;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.common.ApiException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.CannotAcquireLockException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.BadSqlGrammarException;
import org.springframework.jdbc.UncategorizedSQLException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionSystemException;

/** Which failures are the database being unavailable (503) rather than a fault (400, 500). */
class LeaseUnavailabilityTest {
  @Test
  void aConnectionLostInTheMiddleOfATransactionIsUnavailability() {
    TransactionSystemException rollbackFailed = new TransactionSystemException("JDBC rollback failed",
        new SQLException("Connection is closed", "08003"));
    rollbackFailed.initApplicationException(new UncategorizedSQLException("set_config", "SELECT",
        new SQLException("An I/O error occurred while sending to the backend.", "08006")));

    assertThat(LeaseService.unavailability(rollbackFailed)).isNotNull();
    assertThat(LeaseService.unavailability(new CannotCreateTransactionException("no connection"))).isNotNull();
    assertThat(LeaseService.unavailability(new UncategorizedSQLException("x", "SELECT",
        new SQLException("terminating connection due to administrator command", "57P01")))).isNotNull();
    assertThat(LeaseService.unavailability(new CannotAcquireLockException("lock timeout"))).isNotNull();
  }

  @Test
  void faultsAreNotUnavailability() {
    assertThat(LeaseService.unavailability(new BadSqlGrammarException("x", "SELECT nonsense",
        new SQLException("syntax error", "42601")))).isNull();
    assertThat(LeaseService.unavailability(new DataIntegrityViolationException("check"))).isNull();
    assertThat(LeaseService.unavailability(ApiException.invalid("leases", "is required"))).isNull();
    assertThat(LeaseService.unavailability(new IllegalStateException("bug"))).isNull();
  }
}
