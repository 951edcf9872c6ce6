// Lint on top of `tsc --noEmit`: the compiler checks types, eslint the habits that types miss.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "charts/**", "clients/**", "scripts/**", "bin/**", "**/*.js", "**/*.mjs"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-floating-promises": "off",
      "no-constant-condition": ["error", { checkLoops: false }],
      "@typescript-eslint/no-require-imports": ["error", { allowAsImport: true }],
      "prefer-const": "error",
      eqeqeq: ["error", "always", { null: "ignore" }],
    },
  },
);
