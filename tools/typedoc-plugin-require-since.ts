/**
 * A TypeDoc plugin (loaded by `typedoc.json`): every module and every export of a module must say since which
 * version it exists (`@since`), as in the Effect ecosystem. TypeDoc's own `notDocumented` validation only asks for
 * some comment; a missing `@since` is reported here as a validation warning, which `treatWarningsAsErrors` turns
 * into a failed `npm run docs`.
 */
import {
  type Application,
  DeclarationReflection,
  type ProjectReflection,
  type Reflection,
  ReflectionKind
} from "typedoc"

// What a module exports that a user can name; members (properties, methods, enum members) inherit their owner's.
const exportKinds =
  ReflectionKind.Variable |
  ReflectionKind.Function |
  ReflectionKind.Class |
  ReflectionKind.Interface |
  ReflectionKind.TypeAlias |
  ReflectionKind.Enum |
  ReflectionKind.Namespace

// A function's comment may sit on its signatures rather than on the declaration (`export function f` does).
const hasSince = (reflection: Reflection): boolean =>
  reflection.comment?.getTag("@since") !== undefined ||
  (reflection instanceof DeclarationReflection &&
    reflection.getAllSignatures().some((signature) => signature.comment?.getTag("@since") !== undefined))

// A source module (one `src/*.ts` file) exports declarations; a package's module (whose page is its README) holds
// only source modules.
const isSourceModule = (reflection: Reflection): boolean =>
  reflection instanceof DeclarationReflection &&
  reflection.kindOf(ReflectionKind.Module) &&
  (reflection.children ?? []).some((child) => !child.kindOf(ReflectionKind.Module))

const isPackageModule = (reflection: Reflection): boolean =>
  reflection instanceof DeclarationReflection &&
  reflection.kindOf(ReflectionKind.Module) &&
  (reflection.children ?? []).every((child) => child.kindOf(ReflectionKind.Module))

const missingSince = (project: ProjectReflection): ReadonlyArray<Reflection> =>
  project
    .getReflectionsByKind(ReflectionKind.Module | exportKinds)
    .filter(
      (reflection) =>
        !hasSince(reflection) &&
        (isSourceModule(reflection) ||
          (reflection.kindOf(exportKinds) && reflection.parent !== undefined && isSourceModule(reflection.parent)))
    )

/** TypeDoc's plugin entry point. */
export const load = (app: Application): void => {
  // With `entryPointStrategy: "packages"` each package is validated on its own, then the merged project (whose
  // children are the packages) again: check the packages, and report each of them once.
  const reported = new Set<string>()
  app.on("validateProject", (project: ProjectReflection) => {
    if ((project.children ?? []).some(isPackageModule)) return
    for (const reflection of missingSince(project)) {
      const warning =
        `${project.name}: ${reflection.getFriendlyFullName()} (${ReflectionKind.singularString(reflection.kind)}) ` +
        (reflection.kindOf(ReflectionKind.Module)
          ? "has no @since tag (TypeDoc keeps a file's first comment only when it has a `@module` tag)"
          : "has no @since tag")
      if (reported.has(warning)) continue
      reported.add(warning)
      app.logger.validationWarning(warning)
    }
  })
}
