// Prettier as OCA's addon repositories configure it, for XML through
// @prettier/plugin-xml (versions pinned in package.json / package-lock.json).
// "strict" whitespace: text inside QWeb, mail bodies and reports is kept as is.
/** @type {import('prettier').Config} */
const config = {
    plugins: [require.resolve("@prettier/plugin-xml")],
    bracketSpacing: false,
    printWidth: 88,
    proseWrap: "always",
    semi: true,
    trailingComma: "es5",
    xmlWhitespaceSensitivity: "strict",
    overrides: [{files: "*.xml", options: {tabWidth: 4}}],
};
module.exports = config;
