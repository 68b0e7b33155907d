package dev.spillway.testsupport;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** An empty PostgreSQL database (with pgvector available) created for one test class. */
public record TestDatabase(String jdbcUrl, String user, String password, String name) {

  public Connection connect() throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", user);
    props.setProperty("password", password);
    return DriverManager.getConnection(jdbcUrl, props);
  }

  @Override
  public String toString() {
    return "TestDatabase[" + jdbcUrl + " as " + user + "]";
  }
}
