/* cs-api-client.c: being written */
