package dev.spillway.controlplane;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleNameEndingWith;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleNameStartingWith;
import static com.tngtech.archunit.core.domain.properties.CanBeAnnotated.Predicates.metaAnnotatedWith;
import static com.tngtech.archunit.lang.conditions.ArchPredicates.are;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.ControllerAdvice;

/** The control plane's dependency rules, checked on the compiled classes. */
class ArchitectureTest {
  private static final JavaClasses CLASSES = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("dev.spillway.controlplane");

  /**
   * HTTP code: every {@code web} package, and every controller or controller advice wherever it lives (dashboard
   * pages such as the overview and the login page, health, the OpenAPI document, error handlers).
   */
  private static final DescribedPredicate<JavaClass> WEB_CODE = resideInAPackage("..web..")
      .or(are(metaAnnotatedWith(Controller.class)))
      .or(are(metaAnnotatedWith(ControllerAdvice.class)))
      .as("web code (web packages, controllers and controller advice)");

  @Test
  void packagesHaveNoDependencyCycles() {
    // (**) makes every package its own slice, so team and team.web are two slices, as in pkgcycles.py.
    slices().matching("dev.spillway.controlplane.(**)").should().beFreeOfCycles().check(CLASSES);
  }

  @Test
  void webCodeNeverTouchesJdbc() {
    noClasses().that(WEB_CODE).should().dependOnClassesThat()
        .resideInAnyPackage("java.sql..", "javax.sql..", "org.springframework.jdbc..")
        .orShould().dependOnClassesThat(simpleNameStartingWith("Jdbc").and(simpleNameEndingWith("Repository"))
            .as("are Jdbc*Repository implementations"))
        .check(CLASSES);
  }

  @Test
  void controlPlaneNeverImportsTheDataPlane() {
    noClasses().should().dependOnClassesThat().resideInAPackage("dev.spillway.dataplane..").check(CLASSES);
  }
}
