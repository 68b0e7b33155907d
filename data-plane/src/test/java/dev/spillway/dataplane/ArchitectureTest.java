package dev.spillway.dataplane;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The data plane's dependency rules, checked on the compiled classes. */
class ArchitectureTest {
  private final JavaClasses classes = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("dev.spillway.dataplane");

  /** Every package is its own slice (protocol.openai apart from protocol), as the cycle check over imports sees it. */
  @Test
  void hasNoPackageCycles() {
    slices().matching("dev.spillway.dataplane.(**)").should().beFreeOfCycles().check(classes);
  }

  @Test
  void neverDependsOnSpring() {
    noClasses().should().dependOnClassesThat().resideInAnyPackage("org.springframework..").check(classes);
  }

  @Test
  void neverTouchesJdbcOnTheRequestPath() {
    noClasses().that().resideInAnyPackage("..server..", "..exchange..", "..protocol..", "..upstream..", "..auth..",
            "..routing..")
        .should().dependOnClassesThat().resideInAnyPackage("java.sql..", "javax.sql..").check(classes);
  }

  @Test
  void keepsTheUpstreamClientIndependentOfTheServerAndThePipeline() {
    noClasses().that().resideInAPackage("..upstream..").should().dependOnClassesThat()
        .resideInAnyPackage("..server..", "..exchange..", "..protocol..").check(classes);
  }

  @Test
  void keepsTranslationIndependentOfThePipelineAndTheServer() {
    noClasses().that().resideInAPackage("dev.spillway.dataplane.protocol..").should().dependOnClassesThat()
        .resideInAnyPackage("dev.spillway.dataplane.exchange..", "dev.spillway.dataplane.server..",
            "dev.spillway.dataplane.config..")
        .check(classes);
  }

  @Test
  void keepsEachProtocolIndependentOfTheOthers() {
    slices().matching("dev.spillway.dataplane.protocol.(*)..").should().notDependOnEachOther()
        .ignoreDependency(com.tngtech.archunit.base.DescribedPredicate.alwaysTrue(),
            com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage(
                "dev.spillway.dataplane.protocol.canonical..", "dev.spillway.dataplane.protocol.framing.."))
        .check(classes);
  }

  @Test
  void keepsThePipelineIndependentOfTheServer() {
    noClasses().that().resideInAPackage("dev.spillway.dataplane.exchange..").should().dependOnClassesThat()
        .resideInAPackage("dev.spillway.dataplane.server..").check(classes);
  }
}
