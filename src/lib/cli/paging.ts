// What every admin list command shares: the paging flags, and walking the pages for --all.
import { Flags } from '@oclif/core';
import { MAX_PAGE_SIZE, type Page } from '../admin-api.js';

export function pagingFlags(noun: string) {
  return {
    limit: Flags.integer({
      summary: `${noun} per page (1-${MAX_PAGE_SIZE}).`,
      default: 100,
      min: 1,
      max: MAX_PAGE_SIZE,
    }),
    'page-token': Flags.string({ summary: 'The page after this one: the token the previous page printed.' }),
    all: Flags.boolean({ summary: 'Every page, one after the other.', exclusive: ['page-token'] }),
  };
}

/** The page after `pageToken`, or with `all` every page from there on; the last page's token and total. */
export async function fetchPages<T>(
  fetch: (pageToken: string | undefined) => Promise<Page<T>>,
  pageToken: string | undefined,
  all: boolean,
): Promise<{ items: T[]; nextPageToken: string; total: number }> {
  let page = await fetch(pageToken);
  const items = [...page.items];
  while (all && page.nextPageToken) {
    page = await fetch(page.nextPageToken);
    items.push(...page.items);
  }
  return { items, nextPageToken: page.nextPageToken, total: page.total };
}

/** The line under a list table: how many, and how to get the next page. */
export function pageFooter(shown: number, total: number, nextPageToken: string, noun: string): string {
  const more = nextPageToken ? `; next page: --page-token ${nextPageToken}` : '';
  return `${shown} of ${total} ${noun}(s)${more}`;
}
