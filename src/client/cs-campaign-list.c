/* cs-campaign-list.c: being written */
