// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const TS = ["**/*.ts"];

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      "coverage/**",
      "src/treeshap/assembly/**",
      "**/*.js",
      "**/*.cjs",
      "**/*.mjs",
    ],
  },
  js.configs.recommended,
  // Type-checked rules, on the TypeScript of tsconfig.json only (the AssemblyScript
  // core, excluded from tsconfig, is ignored above).
  ...tseslint.configs.strictTypeChecked.map((config) => ({ ...config, files: TS })),
  {
    files: TS,
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      eqeqeq: ["error", "always", { null: "ignore" }],
      // Numeric kernels (TreeSHAP, model parsers, feature series) read typed arrays at
      // offsets that are in bounds by construction; `!` states that there. Elsewhere the
      // code narrows (noUncheckedIndexedAccess is on).
      "@typescript-eslint/no-non-null-assertion": "off",
      // Numbers in messages and logs are meant as their String() form.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      // `() => resolve()` callbacks and `return send(...)` early exits from void functions are idiom here.
      "@typescript-eslint/no-confusing-void-expression": [
        "error",
        { ignoreArrowShorthand: true, ignoreVoidReturningFunctions: true },
      ],
      // An async function without await is how a Promise-returning port (loadModel, fakes)
      // turns a throw into a rejection; the rule would make them throw synchronously.
      "@typescript-eslint/require-await": "off",
      // @kubernetes/client-node types its models as classes, but the builders make them as
      // object literals (never with `new`): there is no prototype to bypass.
      "@typescript-eslint/no-unsafe-class-instance-assignment": "off",
      // The typed-cast helpers (desired's passThrough, the tests' as<T>/findKind<T>) name the
      // target type once on purpose; the rule would move an `as` to every caller.
      "@typescript-eslint/no-unnecessary-type-parameters": "off",
    },
  },
  {
    // Same reason as no-unsafe-class-instance-assignment: spreading a client-node "class"
    // that was built as a literal loses nothing.
    files: ["src/desired/**/*.ts"],
    rules: { "@typescript-eslint/no-misused-spread": "off" },
  },
);
