import * as effectEslint from "@effect/eslint-plugin"
import tseslint from "typescript-eslint"

export default [
  { ignores: ["**/dist", "**/node_modules", "scratchpad/**", "**/*.md"] },
  ...tseslint.configs.recommended,
  ...effectEslint.configs.dprint,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-empty-object-type": "off",
      "@typescript-eslint/no-namespace": "off",
      "@effect/dprint": ["error", {
        config: {
          indentWidth: 2,
          lineWidth: 120,
          semiColons: "asi",
          quoteStyle: "alwaysDouble",
          trailingCommas: "never",
          operatorPosition: "maintain",
          "arrowFunction.useParentheses": "force"
        }
      }]
    }
  },
  {
    // Barrel imports keep every namespace of the package in an app's bundle (issue 12).
    // `node scripts/effect-by-path.mjs` rewrites them.
    files: ["src/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: [
          {
            name: "effect",
            message:
              "Import by path (import * as Effect from \"effect/Effect\"): barrels defeat tree shaking. node scripts/effect-by-path.mjs rewrites it."
          },
          {
            name: "@effect/platform",
            message:
              "Import by path (import * as Socket from \"@effect/platform/Socket\"): barrels defeat tree shaking."
          }
        ]
      }]
    }
  }
]
