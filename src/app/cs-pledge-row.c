/* cs-pledge-row.c: placeholder (the FLOWS helper replaces it). */
