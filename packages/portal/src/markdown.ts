/**
 * Markdown from publishers (home page, API descriptions, documentation pages) is stored as written
 * and made safe here, at render: marked turns it into HTML, DOMPurify removes scripts, event
 * handlers, javascript: URLs, forms and frames. The CSP (no inline script) is the second wall.
 */
import DOMPurify from 'dompurify';
import { Marked } from 'marked';

const marked = new Marked({ gfm: true, breaks: false, async: false });

const purifier = DOMPurify(window);
purifier.addHook('afterSanitizeAttributes', (node) => {
  // Markdown images often have no alt text: treat them as decorative rather than unlabeled.
  if (node.tagName === 'IMG' && !node.hasAttribute('alt')) node.setAttribute('alt', '');
  // Links to other sites open apart from the portal and learn nothing about it.
  if (node.tagName === 'A' && node.getAttribute('href')?.match(/^https?:/i)) {
    node.setAttribute('rel', 'noopener noreferrer nofollow');
    node.setAttribute('target', '_blank');
  }
});

export function renderMarkdown(markdown: string | null | undefined): string {
  if (!markdown) return '';
  const html = marked.parse(markdown) as string;
  return purifier.sanitize(html, {
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed'],
    FORBID_ATTR: ['style'],
  });
}
