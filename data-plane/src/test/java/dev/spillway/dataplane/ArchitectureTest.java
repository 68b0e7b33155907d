package dev.spillway.dataplane;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The data plane's dependency rules, checked on the compiled classes. */
class ArchitectureTest {
  private final JavaClasses classes = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("dev.spillway.dataplane");

  @Test
  void neverDependsOnSpring() {
    noClasses().should().dependOnClassesThat().resideInAnyPackage("org.springframework..").check(classes);
  }

  @Test
  void neverTouchesJdbcOnTheRequestPath() {
    noClasses().that().resideInAnyPackage("..server..", "..proxy..", "..upstream..", "..auth..", "..routing..")
        .should().dependOnClassesThat().resideInAnyPackage("java.sql..", "javax.sql..").check(classes);
  }

  @Test
  void keepsTheUpstreamClientIndependentOfTheServer() {
    noClasses().that().resideInAPackage("..upstream..").should().dependOnClassesThat()
        .resideInAnyPackage("..server..", "..proxy..").check(classes);
  }
}
