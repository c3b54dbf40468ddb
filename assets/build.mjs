// Builds what the portal serves from static/ out of assets/ and the pinned packages (make assets).
// Build-time only: the outputs are committed, so that running or testing the portal never
// needs Node.
//
//   assets/scss/portal.scss -> static/css/portal.css   GOV.UK Frontend's Sass, only the
//                                                       components the portal uses, then only
//                                                       the rules whose classes appear in a
//                                                       template, a script or a component
//                                                       macro (PurgeCSS); what was left out is
//                                                       listed in assets/unused-selectors.txt
//   assets/js/portal.js     -> static/js/portal.js     the portal's modules and the GOV.UK
//                                                       Frontend components they import, one
//                                                       file: a page makes no import requests
//   htmx.org                -> static/vendor/htmx-<version>.min.js, pinned, as published
//
// Every served file is written with its gzip (.gz) and Brotli (.br) twin, compressed once here
// at the highest levels, never per request. Each built file begins with the SHA-256 of the
// sources it was built from (app/assets.py computes the same), so a test can tell when
// someone changed a source and forgot to build.

import { createHash } from 'node:crypto'
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, gzipSync, constants } from 'node:zlib'
import { build } from 'esbuild'
import { PurgeCSS } from 'purgecss'
import * as sass from 'sass'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const versions = pkg.devDependencies

// The same digest as app/assets.py::sources_digest: each file's name and bytes, in name order,
// then the pinned package versions.
function sourcesDigest (folder, extension) {
  const hash = createHash('sha256')
  const names = readdirSync(join(root, folder)).filter((name) => name.endsWith(extension)).sort()
  for (const name of names) {
    hash.update(`${name}\0`)
    hash.update(readFileSync(join(root, folder, name)))
    hash.update('\0')
  }
  for (const name of Object.keys(versions).sort()) hash.update(`${name}@${versions[name]}\n`)
  return hash.digest('hex')
}

function writeWithTwins (path, content) {
  const bytes = Buffer.from(content)
  writeFileSync(path, bytes)
  writeFileSync(`${path}.gz`, gzipSync(bytes, { level: 9 }))
  writeFileSync(`${path}.br`, brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length
    }
  }))
}

// Styles.
// Sass starts output holding non-ASCII characters with a byte order mark: after the comment
// it would be part of the first selector. The file is served as UTF-8.
const css = sass.compile(join(root, 'assets/scss/portal.scss'), {
  style: 'compressed',
  loadPaths: [join(root, 'node_modules')]
})
// Where a class can be named: the portal's templates and Python (a width on a question), its
// scripts, the GOV.UK Frontend macros it renders (found in the virtualenv) and scripts, and
// htmx (the classes it adds while a request is on its way). Classes are words with "!" and
// "-" in them (govuk-!-margin-bottom-0).
// make assets passes the macros' folder, found by the virtualenv's Python.
const macros = process.env.GOVUK_FRONTEND_JINJA_TEMPLATES
if (!macros) throw new Error('Set GOVUK_FRONTEND_JINJA_TEMPLATES (make assets does)')
const [purged] = await new PurgeCSS().purge({
  content: [
    join(root, 'app/**/*.html'),
    join(root, 'app/**/*.py'),
    join(root, 'assets/js/*.js'),
    join(macros, '**/*.html'),
    join(root, 'node_modules/govuk-frontend/dist/govuk/components/**/*.mjs'),
    join(root, 'node_modules/htmx.org/dist/htmx.js')
  ],
  css: [{ raw: css.css.replace(/^\uFEFF/, '') }],
  defaultExtractor: (text) => text.match(/[A-Za-z0-9_!-]+/g) || [],
  // Classes built from parts: by scripts, and by GOV.UK Frontend's macros (each place a macro
  // joins a class name to a value: notification banner type, pagination previous and next,
  // table cell format, input prefix and suffix, footer columns); the portal's own templates
  // write class names whole. Links' print rules (their address after them), whose attribute
  // selectors PurgeCSS cannot match in templates.
  safelist: {
    standard: [
      /^js-/,
      /^govuk-frontend-supported$/,
      /^govuk-notification-banner--success$/,
      /^govuk-pagination__(prev|next)$/,
      /^govuk-table__(header|cell)--numeric$/,
      /^govuk-input__(prefix|suffix)$/,
      /^govuk-footer__list--columns-/,
      /^govuk-grid-column-/
    ],
    greedy: [/^govuk-link$/, /^govuk-pagination__(prev|next)$/]
  },
  rejected: true,
  variables: false
})
writeFileSync(
  join(root, 'assets/unused-selectors.txt'),
  [...new Set(purged.rejected)].sort().join('\n') + '\n'
)
mkdirSync(join(root, 'static/css'), { recursive: true })
writeWithTwins(
  join(root, 'static/css/portal.css'),
  `/* sources ${sourcesDigest('assets/scss', '.scss')} */\n${purged.css}\n`
)

// Scripts: one module, minified, no source map.
const bundled = await build({
  entryPoints: [join(root, 'assets/js/portal.js')],
  bundle: true,
  format: 'esm',
  minify: true,
  target: ['es2020'],
  legalComments: 'none',
  write: false
})
mkdirSync(join(root, 'static/js'), { recursive: true })
writeWithTwins(
  join(root, 'static/js/portal.js'),
  `/* sources ${sourcesDigest('assets/js', '.js')} GOV.UK Frontend ${versions['govuk-frontend']}, MIT licence */\n${bundled.outputFiles[0].text}`
)

// htmx, as published (its source map comment dropped: browsers would ask for the map).
const htmx = readFileSync(join(root, 'node_modules/htmx.org/dist/htmx.min.js'), 'utf8')
  .replace(/\/\/# sourceMappingURL=\S*\s*$/, '')
writeWithTwins(join(root, `static/vendor/htmx-${versions['htmx.org']}.min.js`), htmx)

// The pinned vendor file's checksum, for anyone checking it against the published one.
const vendorName = `htmx-${versions['htmx.org']}.min.js`
const vendorDigest = createHash('sha256').update(readFileSync(join(root, 'static/vendor', vendorName))).digest('hex')
writeFileSync(join(root, 'static/vendor/SHA256SUMS'), `${vendorDigest}  ${vendorName}\n`)
