/* cs-seed.c: the demo platform behind `crowdspark-server seed-demo`.
 *
 * Everything here goes through the store API, like any other writer: users,
 * campaigns (inserted as drafts, then submitted, approved, settled through
 * the real state machine), pledges and updates.  Money takes the real path
 * too: creators verify their identity with the sandbox provider, backers
 * tokenise sandbox cards and pledge, the sandbox gateway authorizes, its
 * signed webhooks are applied by the payment service, and ended campaigns
 * are settled by the settlement job (captures, voids, fees), so that
 * `check-books` holds on a freshly seeded database.  The webhooks are
 * handed over in-process (signed and verified all the same) instead of
 * over HTTP, since no server runs while seeding.
 * Every date is an offset from @now, so a database seeded today looks the
 * same as one seeded next year: some campaigns just started, some end within
 * 48 hours, some finished weeks ago.
 *
 * The data is deterministic: the tables below, and one GRand with a fixed
 * seed for pledge amounts and times.  Only the ids (cs_id_new) differ between
 * two runs.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "cs-seed.h"
#include "cs-auth-service.h"
#include "cs-money-service.h"
#include "cs-gateway.h"
#include "cs-kyc-provider.h"
#include "cs-webhook.h"

#define DAY  (G_GINT64_CONSTANT (24) * 3600)
#define HOUR G_GINT64_CONSTANT (3600)

#define SEED_RANDOM_SEED 20240611u

/* ---- Tables --------------------------------------------------------------- */

typedef struct {
  const char *username;
  const char *display_name;
  const char *bio;            /* or NULL */
  int         joined_days_ago;
} SeedUser;

typedef enum {
  SEED_DRAFT,       /* created only */
  SEED_PENDING,     /* submitted, waiting for a moderator */
  SEED_REJECTED,    /* submitted and rejected, with a reason */
  SEED_LIVE,        /* approved `days` days (+ `hours`) ago, still running */
  SEED_SUCCESSFUL,  /* ended `days` days ago above its goal */
  SEED_FAILED,      /* ended `days` days ago below its goal */
} SeedFate;

typedef struct {
  const char *title;
  const char *description;
  gint64      minimum;          /* minor units */
  gint        quantity;         /* 0: unlimited */
  gint        delivery_months;  /* estimated delivery, months from now */
} SeedTier;

#define SEED_MAX_TIERS 5

typedef struct {
  const char *key;        /* for the updates and the demo backer's pledges */
  const char *creator;    /* username */
  const char *category;
  const char *currency;
  gint64      goal;       /* minor units */
  gint        duration;   /* days */
  SeedFate    fate;
  gint        days;       /* see SeedFate */
  gint        hours;      /* extra hours, live only */
  gint        percent;    /* funding to reach, in percent of the goal */
  gint        backers;    /* pledges to spread it over */
  const char *reason;     /* SEED_REJECTED */
  const char *title;
  const char *story;
  SeedTier    tiers[SEED_MAX_TIERS];
} SeedCampaign;

typedef struct {
  const char        *campaign;   /* SeedCampaign.key */
  int                days_ago;
  CsUpdateVisibility visibility;
  const char        *title;
  const char        *content;
} SeedUpdate;

typedef struct {
  const char *campaign;   /* SeedCampaign.key */
  int         tier;       /* index, or -1 for no reward */
  gint64      amount;
  int         days_ago;
} SeedDemoPledge;

/* The accounts everybody can sign in with (README.md). */
static const struct {
  const char *email;
  const char *username;
  const char *display_name;
  const char *bio;
  CsRole      role;
} staff_and_demo[] = {
  { "admin@crowdspark.test", "admin", "CrowdSpark Admin",
    "Keeps the lights on and the books balanced.", CS_ROLE_ADMIN },
  { "moderator@crowdspark.test", "moderator", "Maya Lindgren (Trust & Safety)",
    "Reviews new campaigns. Ask me anything about the guidelines.", CS_ROLE_MODERATOR },
  { "backer@crowdspark.test", "demo", "Demo Backer",
    "Backs board games, synths and anything with a good story.", CS_ROLE_BACKER },
};

static const SeedUser creators[] = {
  { "mira_okafor", "Mira Okafor",
    "Illustrator and risograph printer between Lagos and Leeds. Ink on everything.", 640 },
  { "tomas_lindqvist", "Tomas Lindqvist",
    "Electronics tinkerer from Gothenburg. I build small instruments and open-source hardware.", 590 },
  { "harriet_cole", "Harriet Cole",
    "Documentary filmmaker and audio producer in Bristol. Stories about people at work.", 720 },
  { "kenji_mori", "Kenji Mori",
    "Board game designer. Former architect. Lives in Portland with too many prototypes.", 810 },
  { "lucia_ferrante", "Lucia Ferrante",
    "Cook, teacher and pasta obsessive in Bologna.", 430 },
  { "devika_rao", "Devika Rao",
    "Textile designer working with block printers in Jaipur and a tiny studio in Hackney.", 515 },
  { "sam_whitfield", "Sam Whitfield",
    "Blacksmith and woodworker in rural Vermont. Things made to outlive me.", 380 },
  { "amara_nwosu", "Amara Nwosu",
    "Theatre director and choreographer. Artistic director of Ginnel Theatre, Manchester.", 900 },
  { "felix_brandt", "Felix Brandt",
    "Industrial designer in Berlin. Repairable products, honest materials.", 470 },
  { "rosa_delgado", "Rosa Delgado",
    "Singer-songwriter from El Paso. Border songs, steel guitar, late nights.", 660 },
  { "noah_berg", "Noah Berg",
    "Photographer and filmmaker based in Glasgow; winters in the Westfjords.", 350 },
  { "ines_carvalho", "Inês Carvalho",
    "Editor and founder of Maré Press, a small publisher in Lisbon.", 760 },
  { "jonah_reyes", "Jonah Reyes",
    "Solo game developer. Pixel art, cozy systems, one very old cat.", 290 },
};

static const SeedUser backers[] = {
  { "ellie_m", "Eleanor Marsh", NULL, 610 },
  { "dkowalski", "Dariusz Kowalski", "Synth nerd, weekend baker.", 520 },
  { "priya_s", "Priya Sharma", NULL, 480 },
  { "jmacleod", "Jamie MacLeod", NULL, 455 },
  { "sofia_rossi", "Sofia Rossi", "Collecting cookbooks since 2009.", 430 },
  { "ben_achterberg", "Ben Achterberg", NULL, 415 },
  { "chloe_nguyen", "Chloé Nguyen", NULL, 400 },
  { "marcus_hill", "Marcus Hill", "Tabletop Tuesdays host.", 390 },
  { "aisha_bello", "Aisha Bello", NULL, 377 },
  { "liam_oconnor", "Liam O'Connor", NULL, 360 },
  { "yuki_tanaka", "Yuki Tanaka", "Film photography, mostly 120.", 350 },
  { "hannah_weiss", "Hannah Weiss", NULL, 333 },
  { "oscar_lund", "Oscar Lund", NULL, 320 },
  { "grace_adeyemi", "Grace Adeyemi", NULL, 301 },
  { "mateo_garcia", "Mateo García", "I back things that make noise.", 290 },
  { "freya_holm", "Freya Holm", NULL, 277 },
  { "raj_patel", "Raj Patel", NULL, 260 },
  { "nina_petrova", "Nina Petrova", NULL, 251 },
  { "tom_baker", "Tom Baker", NULL, 240 },
  { "isla_fraser", "Isla Fraser", "Theatre usher, knitter, optimist.", 233 },
  { "omar_haddad", "Omar Haddad", NULL, 220 },
  { "lena_fischer", "Lena Fischer", NULL, 214 },
  { "pedro_alves", "Pedro Alves", NULL, 205 },
  { "zoe_clarke", "Zoë Clarke", NULL, 198 },
  { "arjun_mehta", "Arjun Mehta", NULL, 190 },
  { "clara_dubois", "Clara Dubois", "Designer. Fonts are my love language.", 181 },
  { "will_turner", "Will Turner", NULL, 175 },
  { "mei_chen", "Mei Chen", NULL, 166 },
  { "sean_byrne", "Seán Byrne", NULL, 158 },
  { "ana_sousa", "Ana Sousa", NULL, 150 },
  { "kofi_mensah", "Kofi Mensah", "Radio producer in Accra and London.", 141 },
  { "lucy_hart", "Lucy Hart", NULL, 133 },
  { "erik_nilsson", "Erik Nilsson", NULL, 125 },
  { "fatima_zahra", "Fatima Zahra", NULL, 117 },
  { "dan_reilly", "Dan Reilly", NULL, 108 },
  { "ruth_goldberg", "Ruth Goldberg", "Retired teacher, full-time gardener.", 99 },
  { "victor_moreau", "Victor Moreau", NULL, 90 },
  { "amelia_jones", "Amelia Jones", NULL, 81 },
  { "hugo_martin", "Hugo Martin", NULL, 72 },
  { "sara_lindberg", "Sara Lindberg", NULL, 64 },
  { "tariq_khan", "Tariq Khan", NULL, 55 },
  { "molly_evans", "Molly Evans", NULL, 46 },
  { "jakub_novak", "Jakub Novák", NULL, 37 },
  { "olivia_brooks", "Olivia Brooks", NULL, 21 },
};

/* Amounts are in minor units: 2500 is 25.00. */
static const SeedCampaign campaigns[] = {
  /* ---- art ---- */
  { "tidewater", "mira_okafor", "art", "GBP", 450000, 30, SEED_LIVE, 12, 3, 68, 34, NULL,
    "Tidewater: Risograph Prints of the Niger Delta",
    "Tidewater is a series of twelve risograph prints about the creeks, markets and boat "
    "yards of the Niger Delta, drawn from sketchbooks I filled over three months travelling "
    "with my aunt, who has traded fish between Port Harcourt and Bonny for thirty years.\n\n"
    "Each print is A3, printed in four spot colours (fluorescent pink, teal, sunflower and "
    "a deep river blue) on 170 gsm Munken paper at a small studio in Leeds. Risograph is "
    "a stencil process, so every sheet is slightly different: the colours drift, the "
    "layers shift, and that is exactly the point.\n\n"
    "Your pledge pays for the paper, the ink drums and the studio time, and a fair fee to "
    "the two young printmakers in Port Harcourt who are colouring four of the plates. "
    "Anything above the goal goes into a second edition printed there.",
    {
      { "A postcard set", "All twelve prints as A6 postcards, in a paper band.", 1500, 0, 2 },
      { "Early bird print", "One A3 print of your choice, signed and numbered.", 3000, 40, 3 },
      { "One A3 print", "One A3 print of your choice, signed and numbered.", 3800, 0, 3 },
      { "The full portfolio", "All twelve A3 prints in a screen-printed folder.", 24000, 25, 4 },
    } },
  { "underpass", "mira_okafor", "art", "GBP", 800000, 45, SEED_LIVE, 5, 7, 48, 29, NULL,
    "Colour the Underpass: A Community Mural in Leeds",
    "The Kirkstall Road underpass is 60 metres of grey concrete that three thousand people "
    "walk through every day, most of them quickly, most of them looking at their phones. "
    "We want to give it 60 metres of colour, designed together with the people who use it.\n\n"
    "Over six workshops at the library and two primary schools, neighbours will draw what "
    "the neighbourhood means to them. I will turn those drawings into one long composition, "
    "and then we paint it together over two weekends, with scaffolding, proper anti-graffiti "
    "coating and the council's blessing (the permit is already granted).\n\n"
    "The goal covers paint, scaffolding hire, insurance, the coating and materials for the "
    "workshops. Everyone who backs the project gets their name on the dedication panel.",
    {
      { "Name on the wall", "Your name on the dedication panel at the entrance.", 1000, 0, 5 },
      { "Tote bag", "A screen-printed tote with the mural's design, plus your name on the wall.", 3500, 0, 6 },
      { "Paint a square", "Join a painting day and paint your own square of the mural.", 7500, 60, 4 },
      { "Sponsor a workshop", "Fund a whole school workshop; we will send photos and drawings.", 50000, 6, 4 },
    } },

  /* ---- comics ---- */
  { "small-gods", "mira_okafor", "comics", "GBP", 400000, 30, SEED_SUCCESSFUL, 62, 0, 181, 54, NULL,
    "Small Gods of the Bus Stop: A Graphic Novel",
    "In the city of Hebden there is a small god for every bus stop: a god of waiting, a god "
    "of the last bus home, a god of the umbrella someone always forgets. Nobody notices "
    "them, until eleven-year-old Ada does.\n\n"
    "Small Gods of the Bus Stop is a 180-page graphic novel for readers of nine and up (and "
    "their grown-ups), in full colour. It is finished: pencils, inks and colours are done, "
    "lettering is in progress. This campaign pays for the first print run of 1,500 copies "
    "with an offset printer in Bradford, and for shipping.\n\n"
    "I have been drawing these gods in the margins of my sketchbooks for nine years. Thank "
    "you for helping them out of the margins.",
    {
      { "Digital edition", "The complete book as a DRM-free PDF and CBZ.", 1200, 0, 2 },
      { "The paperback", "A signed paperback, with a sketched small god on the title page.", 2500, 0, 3 },
      { "Hardback with slipcase", "The numbered hardback edition and a print set.", 4500, 300, 3 },
      { "Original page", "An original inked page of your choice, framed, with the hardback.", 40000, 10, 4 },
    } },
  { "salt-and-ash", "ines_carvalho", "comics", "EUR", 450000, 30, SEED_LIVE, 29, 4, 88, 47, NULL,
    "Salt & Ash: An Anthology of Seafaring Comics",
    "Salt & Ash gathers fourteen short comics about the sea by artists from Portugal, "
    "Cape Verde, Brazil, Galicia and Ireland: a whaling story told by the whale, a ferry "
    "captain's last crossing, a girl who maps the tides of Lisbon from her grandmother's "
    "window.\n\n"
    "Every artist is paid a page rate before the book goes to print, not from royalties "
    "after it sells. That is what the goal is for: fourteen fair fees, translation into "
    "English and Portuguese, and a 224-page edition with a cloth spine.\n\n"
    "We are in the last hours. If you have been waiting, now is the time!",
    {
      { "Digital anthology", "The PDF in English and Portuguese.", 1000, 0, 2 },
      { "Paperback", "The anthology in the language of your choice.", 2800, 0, 5 },
      { "Cloth-spine edition", "The numbered cloth edition with a print by Rita Antunes.", 5500, 200, 5 },
      { "Original artwork", "An original page by one of the fourteen artists, and the cloth edition.", 25000, 12, 5 },
    } },

  /* ---- crafts ---- */
  { "saw-steel-knives", "sam_whitfield", "crafts", "USD", 1500000, 35, SEED_LIVE, 20, 2, 112, 51, NULL,
    "Hand-Forged Kitchen Knives from Reclaimed Saw Steel",
    "For a hundred years the sawmills of Vermont ran big circular blades made of some of the "
    "best carbon steel ever rolled. When the mills closed, the blades went to scrap yards. I "
    "have been buying them back for five years.\n\n"
    "Each knife is forged by hand in my shop from a piece of one of those blades, hardened "
    "and tempered for a keen, easy-to-sharpen edge, and fitted with a handle of local maple "
    "or cherry. Every knife ships with a card telling you which mill its steel came from.\n\n"
    "The goal pays for a second power hammer and a proper heat-treating oven, so that I can "
    "make knives in batches without giving up on doing every step by hand. Delivery is "
    "staggered: early pledges ship first.",
    {
      { "Honing strop", "A leather strop with the shop's stamp, and our sharpening guide.", 3500, 0, 2 },
      { "Paring knife", "A 3.5-inch paring knife with a maple handle.", 18000, 80, 5 },
      { "Chef's knife", "An 8-inch chef's knife with a cherry handle and a leather sheath.", 32000, 60, 7 },
      { "The kitchen set", "Chef's knife, paring knife and a walnut knife block.", 52000, 15, 8 },
    } },
  { "indigo-quilts", "devika_rao", "crafts", "GBP", 1200000, 40, SEED_LIVE, 9, 5, 45, 22, NULL,
    "Indigo Revival: Hand-Block Printed Quilts",
    "In Bagru, a village near Jaipur, the Chhipa families have printed cloth with carved "
    "wooden blocks and natural indigo for three hundred years. Today fewer than twenty "
    "workshops still dye with real indigo, because synthetic dyes are faster and cheaper.\n\n"
    "Indigo Revival is a collection of six quilts designed with the Nama family's workshop, "
    "printed by hand, quilted with kantha stitching by a women's cooperative in Sanganer, "
    "and filled with organic cotton. Each quilt takes about three weeks.\n\n"
    "Your pledge is an order placed at fair prices agreed before the first block was carved. "
    "If we pass the goal, we will fund a new indigo vat for the workshop.",
    {
      { "Block-printed napkins", "A set of four indigo napkins.", 4000, 0, 3 },
      { "Cushion cover", "A block-printed and quilted cushion cover.", 7500, 0, 3 },
      { "Single quilt", "A single quilt (140 × 220 cm) in the pattern of your choice.", 22000, 50, 5 },
      { "Double quilt", "A double quilt (220 × 240 cm) in the pattern of your choice.", 32000, 30, 5 },
    } },

  /* ---- dance ---- */
  { "concrete-ballet", "amara_nwosu", "dance", "GBP", 1000000, 30, SEED_LIVE, 6, 20, 23, 26, NULL,
    "Concrete Ballet: A Dance Film in Brutalist Manchester",
    "Concrete Ballet is a 25-minute dance film shot in five brutalist buildings of Greater "
    "Manchester, three of which are due to be demolished next year. Eight dancers from "
    "Ginnel Theatre's youth company move through stairwells, walkways and car parks, and the "
    "buildings answer with their echoes.\n\n"
    "We have the dancers, the choreography and permission to film. We need a small crew for "
    "eight days, a Steadicam operator, sound recording, and an original score by the "
    "composer Dele Adebayo.\n\n"
    "The finished film will premiere at HOME in Manchester and then be free to watch online, "
    "forever.",
    {
      { "Thank you in the credits", "Your name in the film's credits.", 1000, 0, 8 },
      { "Premiere ticket", "A ticket to the premiere at HOME, and your name in the credits.", 2500, 120, 8 },
      { "Score on vinyl", "Dele Adebayo's score on 10-inch vinyl.", 4000, 0, 9 },
      { "Be on set", "Spend a filming day with us, lunch included.", 15000, 8, 5 },
    } },
  { "clog-archive", "noah_berg", "dance", "GBP", 600000, 30, SEED_LIVE, 15, 0, 55, 31, NULL,
    "The Clog Archive: Filming the Last Lancashire Clog Dancers",
    "Lancashire clog dancing was born in the cotton mills, where workers beat out rhythms "
    "in their wooden-soled clogs to the sound of the looms. Today only a handful of dancers "
    "remember the old mill steps, and most of them are over eighty.\n\n"
    "With the English Folk Dance and Song Society we will film twelve of them dancing, "
    "teaching and talking about the steps they learned as children, in high quality, with "
    "sound, and give the whole archive to the public, free.\n\n"
    "The goal covers two weeks of filming across Lancashire and Yorkshire, editing, and "
    "hosting the archive for ten years.",
    {
      { "Supporter", "Your name on the archive's thank-you page.", 500, 0, 6 },
      { "The documentary", "A download of the 40-minute documentary cut.", 2000, 0, 7 },
      { "Learn the steps", "A clog workshop in Rochdale with one of the dancers.", 6000, 20, 4 },
    } },
  { "northern-steps", "amara_nwosu", "dance", "GBP", 1500000, 30, SEED_FAILED, 40, 0, 0, 0, NULL,
    "Northern Steps: A Free Summer Dance School",
    "Northern Steps would have been a free, four-week summer dance school for 120 young "
    "people from Moss Side, Hulme and Longsight, taught by professional dancers in hip-hop, "
    "contemporary and West African dance.\n\n"
    "We did not reach our goal this time. Thank you to everyone who shared it: we are "
    "applying for arts council funding and will be back.",
    {
      { "Thank you", "A handwritten card from the students.", 1000, 0, 3 },
      { "Showcase ticket", "Two tickets to the end-of-summer showcase.", 3000, 0, 3 },
    } },

  /* ---- design ---- */
  { "lumen-lamp", "felix_brandt", "design", "EUR", 1200000, 45, SEED_LIVE, 30, 8, 87, 53, NULL,
    "Lumen: A Desk Lamp Repairable by Design",
    "Most desk lamps are glued shut. When the LED driver fails (and it is always the "
    "driver), the whole lamp goes to landfill. Lumen is held together by six screws of the "
    "same size, and every part, from the driver to the hinge spring, can be ordered on its "
    "own for as long as we exist. The drawings and the bill of materials are published "
    "under a CC BY-SA licence, so the lamp outlives us too.\n\n"
    "The body is recycled aluminium, anodised in Berlin; the arm balances on a steel spring "
    "and stays where you put it; the light is a 2700 K, CRI 95 panel that dims smoothly "
    "without flicker.\n\n"
    "Prototypes have been in daily use in our studio for a year. The goal pays for the "
    "injection mould of the head and the first batch of 500 lamps.",
    {
      { "Spare parts kit", "A driver board, a spring and a screwdriver. Fits every Lumen.", 2900, 0, 6 },
      { "Early bird Lumen", "One Lumen lamp, in graphite or sand.", 13900, 100, 8 },
      { "Lumen", "One Lumen lamp, in graphite or sand.", 15900, 0, 8 },
      { "Lumen pair", "Two lamps, any colours.", 29900, 0, 8 },
    } },
  { "shaker-stool", "sam_whitfield", "design", "USD", 1200000, 30, SEED_SUCCESSFUL, 25, 0, 136, 48, NULL,
    "The Shaker Stool, Flat-Packed",
    "The Shakers believed that a well-made chair was a kind of prayer. Their step stools "
    "were simple, strong and light enough to carry with one hand. This is my version: the "
    "same proportions, in solid ash, but designed to ship flat and go together with four "
    "wedged tenons and a mallet, no glue, no screws.\n\n"
    "Each stool is cut on a small CNC and finished by hand with hard wax oil. It holds 150 kg "
    "and will be handed down.\n\n"
    "We did it! Production is under way; the first fifty stools are drying in the shop.",
    {
      { "The mallet", "A turned ash mallet, also handy for tent pegs.", 4500, 0, 2 },
      { "One stool", "One flat-packed step stool in ash.", 24000, 0, 3 },
      { "Two stools", "Two stools: one for the kitchen, one for the workshop.", 44000, 0, 3 },
    } },
  { "atlas-type", "felix_brandt", "design", "EUR", 1800000, 40, SEED_DRAFT, 3, 0, 0, 0, NULL,
    "Atlas: A Variable Typeface for Maps",
    "Map labels have a hard job: they must stay readable at every size, over every colour, "
    "curved along rivers and squeezed between streets. Atlas is a variable typeface with "
    "three axes (weight, width and a 'halo' axis that thickens the outline for busy "
    "backgrounds) designed for exactly that.\n\n"
    "Draft: still writing the story and choosing the reward tiers.",
    {
      { "Desktop licence", "Atlas for desktop use, all weights.", 4500, 0, 10 },
      { "Web licence", "Atlas for websites up to 1 million views a month.", 12000, 0, 10 },
    } },

  /* ---- fashion ---- */
  { "kantha-jackets", "devika_rao", "fashion", "GBP", 900000, 30, SEED_LIVE, 10, 12, 61, 28, NULL,
    "Kantha Jackets Made from Vintage Saris",
    "Every one of these jackets begins as two or three old cotton saris, layered and stitched "
    "together with kantha, the running stitch that women in Bengal have used for centuries "
    "to turn worn cloth into something new.\n\n"
    "No two jackets are alike. The cut is a relaxed chore jacket with deep pockets, unisex, "
    "in six sizes, and it is reversible, so you get two jackets for the price of one. The "
    "stitching is done by Sujani, a cooperative of 40 women in West Bengal who set their own "
    "rates.\n\n"
    "Your pledge is a pre-order: we buy the saris, pay the cooperative and make exactly as "
    "many jackets as you order.",
    {
      { "Kantha scarf", "A long scarf made from the offcuts.", 4500, 0, 3 },
      { "Early bird jacket", "One reversible kantha jacket, your size.", 14500, 30, 4 },
      { "Kantha jacket", "One reversible kantha jacket, your size.", 16500, 0, 4 },
    } },
  { "slow-denim", "devika_rao", "fashion", "GBP", 2000000, 45, SEED_PENDING, 5, 0, 0, 0, NULL,
    "Slow Denim: Jeans Made to Measure in London",
    "A pair of jeans should fit you, not a size chart. Slow Denim jeans are cut to your "
    "measurements in our Hackney studio from Japanese selvedge denim, sewn on a 1960s "
    "chain-stitch machine, and repaired for free for life.\n\n"
    "The goal buys a second chain-stitch machine and pays a second tailor for a year, so "
    "that we can make 600 pairs instead of 200.",
    {
      { "Repair kit", "Patches, thread and a needle case in selvedge offcuts.", 2500, 0, 3 },
      { "Made-to-measure jeans", "One pair cut to your measurements.", 19500, 150, 6 },
    } },

  /* ---- film ---- */
  { "lighthouse", "harriet_cole", "film", "GBP", 1500000, 50, SEED_LIVE, 21, 0, 54, 45, NULL,
    "The Last Lighthouse Keepers",
    "The last British lighthouse was automated in 1998. But the people who kept the lights "
    "are still here: a few dozen former keepers, most in their seventies and eighties, who "
    "spent months at a time on rocks in the Atlantic with two colleagues and a radio.\n\n"
    "The Last Lighthouse Keepers is a feature documentary in which six of them go back to the "
    "lighthouses where they served, from Bishop Rock to Muckle Flugga. We have filmed two "
    "journeys already. The goal pays for the other four, by boat and helicopter, with "
    "Trinity House's support.\n\n"
    "We hope to premiere at Sheffield DocFest. Backers see it first.",
    {
      { "Keeper's log", "A digital copy of our production diary, with photos.", 1000, 0, 3 },
      { "Watch it first", "A private stream of the finished film before its release.", 2000, 0, 12 },
      { "Blu-ray and postcards", "The film on Blu-ray and ten lighthouse postcards.", 4500, 0, 13 },
      { "Producer credit", "An associate producer credit and two premiere tickets.", 100000, 5, 12 },
    } },
  { "ash-season", "noah_berg", "film", "EUR", 700000, 30, SEED_LIVE, 28, 14, 92, 44, NULL,
    "Ash Season: A Short Film About Sheep Farmers After the Eruption",
    "In the spring after the eruption, a fine grey ash covered the farms of southern "
    "Iceland. The sheep could not graze. The farmers, most of whom had never left the valley, "
    "had to decide whether to stay.\n\n"
    "Ash Season is a 20-minute fiction short, shot on 16 mm film in the Westfjords, with a "
    "cast of local farmers playing versions of themselves. The script is written; the "
    "locations and the cast are ready.\n\n"
    "We need the film stock, its development and scanning in Copenhagen, and a sound mix. "
    "Less than two days to go: thank you for getting us this close.",
    {
      { "Digital download", "The finished film, in 4K, to keep.", 1500, 0, 9 },
      { "A frame of film", "A single 16 mm frame from the film, mounted, and the download.", 5000, 100, 10 },
      { "Screening kit", "Screen it at your school or film club, with a Q&A by video call.", 25000, 10, 10 },
    } },
  { "lido-shorts", "harriet_cole", "film", "GBP", 250000, 28, SEED_SUCCESSFUL, 90, 0, 122, 40, NULL,
    "Shorts at the Lido: An Outdoor Short Film Festival",
    "For three summer evenings, Bristol's Victorian lido turns into a cinema: a screen over "
    "the deep end, deckchairs along the pool, and forty short films from the South West "
    "chosen by an open call.\n\n"
    "Thank you! The festival is funded. Tickets go to backers first.",
    {
      { "One evening", "A deckchair for one evening of the festival.", 1500, 0, 2 },
      { "Festival pass", "All three evenings, with a drink on each.", 3500, 0, 2 },
      { "Filmmaker's friend", "A pass and a seat at the filmmakers' supper.", 10000, 0, 2 },
    } },

  /* ---- food ---- */
  { "pasta-madre", "lucia_ferrante", "food", "EUR", 850000, 30, SEED_LIVE, 11, 6, 76, 40, NULL,
    "Pasta Madre: A Sourdough Pasta Lab in Bologna",
    "Before there was commercial yeast, Italian cooks made pasta with lievito madre, the same "
    "sourdough starter they used for bread. The dough turns silkier, the flavour deeper, and "
    "it is easier to digest. Almost nobody does it any more.\n\n"
    "Pasta Madre will be a small lab and teaching kitchen in the Bolognina neighbourhood: "
    "twelve seats at a marble counter, a sfoglia board, and a starter that has been alive "
    "since my grandmother fed it in 1962. We will teach classes, sell fresh pasta on "
    "Saturdays and publish every recipe online.\n\n"
    "The goal pays for the kitchen fit-out and the first three months of rent.",
    {
      { "A jar of starter", "Dried lievito madre from our 1962 starter, with instructions.", 1500, 0, 2 },
      { "Online class", "A live online class: tagliatelle and tortellini from scratch.", 4000, 0, 3 },
      { "Class in Bologna", "A three-hour class at the lab, lunch and wine included.", 12000, 48, 6 },
      { "Supper club", "A private supper for six at the counter.", 60000, 4, 6 },
    } },
  { "tortellini-bike", "lucia_ferrante", "food", "EUR", 600000, 21, SEED_LIVE, 20, 14, 104, 49, NULL,
    "The Tortellini Bicycle",
    "A cargo bike with a refrigerated box, a tiny gas stove and a pot of proper capon broth: "
    "the Tortellini Bicycle will bring hand-folded tortellini in brodo to the squares of "
    "Bologna, to the students in via Zamboni, and to the night-shift workers at the "
    "Sant'Orsola hospital at two in the morning.\n\n"
    "Every tortellino is folded by the sfogline of our neighbourhood, most of them retired, "
    "who are paid by the kilo at a fair rate. We passed our goal this week. The extra will "
    "buy a second bike for the hills.",
    {
      { "A bowl on us", "A voucher for two bowls of tortellini in brodo.", 1200, 0, 2 },
      { "Fold with the sfogline", "A morning folding tortellini with the sfogline.", 6000, 24, 3 },
      { "Name the bike", "Your name painted on the second bike.", 50000, 1, 4 },
    } },

  /* ---- games ---- */
  { "canal-cities", "kenji_mori", "games", "USD", 300000, 30, SEED_LIVE, 8, 10, 183, 55, NULL,
    "Canal Cities: A Tile-Laying Game of Venice",
    "It is 1450. The lagoon is rising, the merchants are rich, and Venice needs bridges. In "
    "Canal Cities, two to four players lay canal and district tiles to grow the city, "
    "connect their palazzi to the markets, and float their gondolas to the best moorings "
    "before the Doge's festival ends the game.\n\n"
    "Games take 45 minutes. The rules fit on two pages, and the decisions keep getting "
    "harder: every bridge you build can be used by everyone.\n\n"
    "Canal Cities has been played at over thirty conventions and won the Portland "
    "Game Design Prize. The goal pays for the first print run of 2,000 copies with "
    "wooden gondolas and linen-finish tiles.",
    {
      { "Print and play", "The full game as PDFs to print at home.", 1500, 0, 2 },
      { "Early gondolier", "Canal Cities, the core game.", 3900, 150, 9 },
      { "Canal Cities", "The core game.", 4900, 0, 9 },
      { "Doge's edition", "Core game, the Carnival expansion and metal coins.", 8900, 0, 10 },
      { "Your palazzo", "Your family crest on a palazzo tile, plus the Doge's edition.", 40000, 4, 10 },
    } },
  { "pocket-dungeon", "kenji_mori", "games", "USD", 150000, 21, SEED_SUCCESSFUL, 120, 0, 410, 55, NULL,
    "Pocket Dungeon: A Solo Card Game in a Tin",
    "Pocket Dungeon is a solo dungeon crawl in 54 cards that fits in a mint tin. Shuffle, "
    "deal five rooms, and fight, sneak or bargain your way to the bottom in fifteen minutes. "
    "It is the game I made to play on the train, and then could not stop playing.\n\n"
    "Thank you to every one of you: 410% funded. Tins are being printed, and all stretch "
    "goals (two extra heroes and the Lich expansion) are unlocked.",
    {
      { "The tin", "Pocket Dungeon in its tin.", 1800, 0, 1 },
      { "Hoard edition", "The tin, the Lich expansion and a cloth play mat.", 4500, 0, 2 },
      { "Design a monster", "Design a monster card with me; it goes into the game.", 25000, 10, 3 },
    } },
  { "moth-and-lantern", "kenji_mori", "games", "USD", 1500000, 30, SEED_DRAFT, 12, 0, 0, 0, NULL,
    "Moth & Lantern: A Cooperative Deduction Game",
    "Two to five moths, one lantern, and a night that keeps getting darker. Moth & Lantern is "
    "a cooperative deduction game where nobody may say what they see.\n\n"
    "(Work in progress: art samples and the rules video are coming.)",
    {
      { "Moth & Lantern", "The game.", 4500, 0, 12 },
    } },
  { "orbital-gardens", "jonah_reyes", "games", "USD", 1200000, 40, SEED_LIVE, 14, 0, 27, 38, NULL,
    "Orbital Gardens: A Cozy Space Farming Game",
    "You inherit a rusty greenhouse station orbiting a gas giant, three seeds and a robot "
    "named Parsnip. Orbital Gardens is a cozy farming game about growing plants in low "
    "gravity, trading with passing freighters, and slowly turning the station into a home.\n\n"
    "I have been building it alone for two years, evenings and weekends; the demo has 40,000 "
    "downloads. The goal lets me work on it full time for a year, hire a composer, and ship "
    "on Windows, macOS, Linux and the Steam Deck.",
    {
      { "Station key", "A copy of the game on release.", 1500, 0, 14 },
      { "Early access", "The game, plus early access builds from the first month.", 2500, 0, 4 },
      { "Soundtrack edition", "The game, early access and the soundtrack.", 4000, 0, 14 },
      { "Name a plant", "Name a plant species in the game, plus everything above.", 15000, 25, 14 },
    } },

  /* ---- journalism ---- */
  { "water-beat", "ines_carvalho", "journalism", "EUR", 900000, 45, SEED_LIVE, 16, 0, 38, 36, NULL,
    "The Water Beat: Independent Reporting on Europe's Rivers",
    "Europe's rivers are drying, flooding and being fought over, and most newsrooms no longer "
    "have anyone to cover them. The Water Beat is a year of independent reporting on the "
    "Tagus, the Douro, the Po and the Loire by a team of four journalists, published free "
    "in four languages.\n\n"
    "We will follow the water: the dams and the farms that need it, the towns downstream "
    "that do not get enough of it, and the people who decide who gets what. No advertising, "
    "no paywall, no sponsors with a stake in the story.\n\n"
    "Backers get the newsletter first and a say in what we investigate next.",
    {
      { "Reader", "The weekly newsletter, a day before publication.", 500, 0, 2 },
      { "Sustaining reader", "The newsletter and a vote on our next investigation.", 2500, 0, 2 },
      { "The printed yearbook", "All the year's stories in a printed book.", 6000, 0, 13 },
      { "Newsroom patron", "The yearbook, your name in every story's credits and a newsroom visit.", 15000, 0, 13 },
    } },
  { "night-shift-podcast", "harriet_cole", "journalism", "GBP", 500000, 30, SEED_LIVE, 13, 0, 82, 41, NULL,
    "Night Shift: A Podcast About the People Who Keep Cities Running",
    "While you sleep, someone is fixing the water main, driving the night bus, baking "
    "tomorrow's bread and answering 999 calls. Night Shift is a ten-episode audio "
    "documentary series about them, recorded between 10 pm and 6 am in Bristol, Cardiff and "
    "Glasgow.\n\n"
    "Each episode follows one person through one shift, in their own words. We have recorded "
    "the pilot; you can hear it on the campaign page. The goal pays for nine more episodes, "
    "a sound designer and fair fees for our contributors.",
    {
      { "Listener", "Your name in the end credits of one episode.", 500, 0, 4 },
      { "Bonus episodes", "Three extra episodes for backers, and your name in the credits.", 2000, 0, 6 },
      { "Live recording", "Two tickets to the live recording in Bristol.", 4500, 60, 5 },
      { "Associate producer", "An associate producer credit on one episode, and the tickets.", 15000, 15, 6 },
    } },
  { "valley-voice", "harriet_cole", "journalism", "GBP", 2000000, 45, SEED_FAILED, 70, 0, 0, 0, NULL,
    "Valley Voice: Reviving a Town Newspaper in Somerset",
    "The Chew Valley Gazette closed in 2019 after 140 years. Valley Voice wanted to bring "
    "back a monthly paper for its villages, written by local people and a part-time editor.\n\n"
    "We did not make it this time. Thank you for your support, and watch this space.",
    {
      { "A year of Valley Voice", "Twelve issues delivered to your door.", 3000, 0, 2 },
    } },

  /* ---- music ---- */
  { "border-radio", "rosa_delgado", "music", "USD", 800000, 30, SEED_LIVE, 29, 1, 89, 52, NULL,
    "Border Radio: An Album Recorded Live in Marfa",
    "In the 1930s, radio stations just across the Mexican border broadcast at 500,000 watts "
    "and carried country, conjunto and gospel music as far as Canada. Border Radio is an "
    "album of eleven songs about that music and the people who listened to it, from truck "
    "stops to farmhouse kitchens.\n\n"
    "We will record it live, to tape, in three nights in an old dance hall in Marfa, Texas, "
    "with a six-piece band, a pedal steel and an accordion, in front of a small audience of "
    "backers. Then we will press it on vinyl.\n\n"
    "One day to go and just short of the goal. Please share it with a friend who still has "
    "a record player!",
    {
      { "Digital album", "The album in FLAC and MP3, on release day.", 1000, 0, 5 },
      { "Vinyl LP", "The album on 180 g vinyl, signed.", 3500, 0, 7 },
      { "Be in the audience", "Two seats at one of the recording nights, and the vinyl.", 12000, 40, 3 },
      { "House concert", "Rosa plays a concert in your living room (continental US).", 150000, 3, 10 },
    } },
  { "fjaril-synth", "tomas_lindqvist", "music", "EUR", 600000, 30, SEED_LIVE, 18, 0, 262, 55, NULL,
    "Fjäril: A Pocket Analog Synthesizer",
    "Fjäril (Swedish for butterfly) is a fully analog monophonic synthesizer the size of a "
    "paperback: two oscillators, a 24 dB ladder filter, an envelope, a 16-step sequencer "
    "and a speaker, running for twelve hours on three AA batteries. It sounds big.\n\n"
    "Everything is open hardware: the schematics, the board files and the firmware of the "
    "sequencer are on our repository. The case is a single folded steel sheet with walnut "
    "sides.\n\n"
    "Thank you for an incredible two and a half weeks. The stretch goal, a MIDI input "
    "on every unit, is unlocked.",
    {
      { "The kit", "Fjäril as a solder-it-yourself kit (through-hole parts only).", 14900, 0, 6 },
      { "Early bird Fjäril", "An assembled, tested Fjäril.", 19900, 150, 5 },
      { "Fjäril", "An assembled, tested Fjäril.", 24900, 0, 7 },
      { "Fjäril duo", "Two Fjäril and a sync cable, for the duets.", 45900, 0, 7 },
    } },
  { "open-drum", "tomas_lindqvist", "music", "EUR", 3000000, 45, SEED_LIVE, 7, 3, 15, 25, NULL,
    "Trumma: An Open-Source Drum Machine",
    "Trumma is a drum machine with eight analog voices, a sample slot for your own sounds, "
    "a 64-step sequencer with per-step probability, and sixteen velocity-sensitive pads "
    "made from recycled rubber. Like all our instruments, it is open hardware.\n\n"
    "This is our most ambitious project yet. The goal covers the tooling for the pad matrix, "
    "the certification (CE and FCC) and the first 300 units.",
    {
      { "Supporter", "Your name in the firmware's credits screen.", 1000, 0, 9 },
      { "Trumma kit", "Trumma as a kit (the pads and SMD parts are pre-assembled).", 34900, 0, 11 },
      { "Trumma", "An assembled, tested Trumma.", 44900, 0, 11 },
    } },
  { "night-shift-songs", "rosa_delgado", "music", "USD", 600000, 30, SEED_SUCCESSFUL, 45, 0, 118, 45, NULL,
    "Songs for the Night Shift",
    "Ten songs written for the nurses, truckers and cleaners I met while working nights at "
    "a hospital laundry in El Paso.\n\n"
    "We made it. The songs are recorded; vinyl is being pressed in Nashville.",
    {
      { "Digital album", "The album in FLAC and MP3.", 1000, 0, 1 },
      { "Vinyl and lyric book", "The vinyl LP with a handwritten lyric book.", 4000, 0, 3 },
      { "A song for you", "Rosa writes and records a song about you or someone you love.", 50000, 5, 2 },
    } },

  /* ---- photography ---- */
  { "hidden-harbours", "noah_berg", "photography", "EUR", 750000, 40, SEED_LIVE, 19, 0, 58, 33, NULL,
    "Hidden Harbours: Iceland's Abandoned Fishing Villages",
    "Along the Westfjords and the east coast of Iceland there are more than thirty villages "
    "that were built for the herring boom and left when the herring disappeared in the "
    "1960s. Some have two or three houses left, some a whole factory, rusting in the snow.\n\n"
    "For four winters I have photographed them on large-format film, in the blue hour that "
    "lasts most of the day in January. Hidden Harbours is the book: 120 photographs, "
    "interviews with the last people who lived there, and maps.\n\n"
    "The goal pays for the printing (tritone offset on uncoated paper) and the binding.",
    {
      { "Postcards", "Twelve postcards from the book.", 1500, 0, 4 },
      { "The book", "Hidden Harbours, 240 pages, clothbound.", 5500, 0, 7 },
      { "Signed book and print", "A signed book and a 30 × 40 cm silver gelatin print.", 18000, 50, 8 },
    } },
  { "darkroom-bus", "noah_berg", "photography", "GBP", 2000000, 60, SEED_LIVE, 4, 18, 9, 14, NULL,
    "The Darkroom Bus: A Mobile Darkroom for Scottish Schools",
    "Most children have never seen a photograph appear in a tray of developer. We want to "
    "convert a retired single-decker bus into a darkroom with eight enlargers, and drive it "
    "to schools across the Highlands and islands, where the nearest darkroom can be a day's "
    "journey away.\n\n"
    "The bus is bought; it needs blackout, plumbing, ventilation, a generator and safety "
    "work. A photography teacher will travel with it for its first year.",
    {
      { "Pinhole camera kit", "A cardboard pinhole camera kit and two sheets of paper.", 2000, 0, 4 },
      { "A print from the bus", "A darkroom print made by a pupil on the bus.", 5000, 0, 9 },
      { "Adopt a school visit", "Fund a full day's visit to one school.", 40000, 0, 9 },
    } },

  /* ---- publishing ---- */
  { "translators-shelf", "ines_carvalho", "publishing", "EUR", 600000, 35, SEED_LIVE, 17, 9, 71, 39, NULL,
    "The Translator's Shelf: Six Portuguese Novellas in English",
    "Portugal has a great tradition of the novella, and almost none of it is available in "
    "English. The Translator's Shelf is a set of six short novels, from the 1920s to last "
    "year, each by a different translator, in small pocket editions designed by Atelier "
    "Sal.\n\n"
    "Six translators have each done a sample chapter; the goal pays for the rest of their "
    "work at the rate recommended by the Society of Authors, and for printing.",
    {
      { "One novella", "The novella of your choice.", 1400, 0, 8 },
      { "The whole shelf", "All six novellas in a slipcase.", 7000, 0, 10 },
      { "Translator's edition", "The slipcase signed by all six translators.", 12000, 60, 10 },
    } },
  { "lisbon-after-dark", "ines_carvalho", "publishing", "EUR", 500000, 30, SEED_SUCCESSFUL, 150, 0, 146, 50, NULL,
    "Lisbon After Dark: A Walking Guide to the City at Night",
    "Twelve walks through Lisbon between sunset and sunrise: fado houses, bakeries that open "
    "at four, the river at low tide, the last tram. Written by twelve Lisbon writers, with "
    "maps and photographs.\n\n"
    "Funded, printed and shipped. Thank you, and boa noite!",
    {
      { "The guide", "Lisbon After Dark, paperback.", 2200, 0, 1 },
      { "Guide and walk", "The guide and a night walk with one of the writers.", 6000, 40, 1 },
    } },
  { "hill-recipes", "lucia_ferrante", "publishing", "EUR", 1000000, 30, SEED_DRAFT, 1, 0, 0, 0, NULL,
    "Recipes from the Bolognese Hills",
    "A cookbook of the dishes the grandmothers of the Apennine villages above Bologna still "
    "cook: chestnut tagliatelle, crescentine, borlenghi, and a dozen kinds of ragù.\n\n"
    "(Draft: photos from the autumn shoot to come.)",
    {
      { "The cookbook", "Recipes from the Bolognese Hills, hardback.", 3500, 0, 12 },
    } },

  /* ---- technology ---- */
  { "sensor-garden", "tomas_lindqvist", "technology", "GBP", 500000, 30, SEED_LIVE, 16, 4, 133, 50, NULL,
    "Sensor Garden: Solar Soil Monitors for Allotments",
    "How dry is the soil under your tomatoes? Sensor Garden is a small solar-powered probe "
    "that measures soil moisture, temperature and light every fifteen minutes and sends them "
    "over LoRa radio (up to two kilometres) to a base station in your shed or your house.\n\n"
    "No cloud, no account, no subscription: the base station serves a simple web page on "
    "your own network and can water your plants through a relay. The firmware and the "
    "hardware design are open source.\n\n"
    "Two allotment societies in Sheffield have tested 40 probes through a full season. The "
    "goal pays for the first production run and radio certification.",
    {
      { "Single probe", "One probe, to add to an existing base station.", 3500, 0, 6 },
      { "Starter kit", "A base station and three probes.", 9900, 0, 6 },
      { "Allotment society pack", "A base station and twenty probes, with setup by video call.", 49000, 10, 7 },
    } },
  { "fixbook", "felix_brandt", "technology", "EUR", 6000000, 60, SEED_LIVE, 24, 0, 42, 55, NULL,
    "Fixbook: A Laptop You Can Repair with One Screwdriver",
    "The Fixbook 14 is a 14-inch laptop with a matte 2.2K screen, a keyboard with 1.5 mm "
    "of travel, and a battery, SSD, RAM, keyboard, screen and ports that you can replace "
    "yourself in under five minutes each, with the screwdriver that comes in the box.\n\n"
    "Spare parts will be sold at cost for at least ten years. Linux is supported from day "
    "one (we upstream our drivers), and the mainboard can be upgraded to next year's "
    "processor without buying a new laptop.\n\n"
    "We are a team of eleven with backgrounds in phone and laptop repair. The goal covers "
    "the tooling and the first batch of 1,000 laptops.",
    {
      { "Supporter sticker pack", "Stickers and our repair manual in print.", 2500, 0, 4 },
      { "Early bird Fixbook 14", "Fixbook 14, 16 GB RAM, 512 GB SSD.", 79900, 100, 12 },
      { "Fixbook 14", "Fixbook 14, 16 GB RAM, 512 GB SSD.", 89900, 0, 12 },
    } },
  { "glucose-ring", "tomas_lindqvist", "technology", "USD", 5000000, 45, SEED_REJECTED, 10, 0, 0, 0,
    "Campaigns that make medical claims need evidence. Please remove the claim that the ring "
    "measures blood glucose, or link to a published clinical validation, and resubmit.",
    "Pulse: A Smart Ring That Measures Your Blood Sugar",
    "Pulse is a titanium ring that measures your heart rate, sleep and blood glucose without "
    "a needle, using a new optical method.\n\n"
    "(Resubmission in progress.)",
    {
      { "Pulse ring", "One Pulse ring, your size.", 19900, 0, 10 },
    } },

  /* ---- theater ---- */
  { "mill-girls", "amara_nwosu", "theater", "GBP", 700000, 30, SEED_LIVE, 28, 20, 64, 46, NULL,
    "The Mill Girls: A New Play with Songs",
    "In 1862, when the American Civil War cut off the cotton, the mills of Lancashire fell "
    "silent and the mill girls starved rather than work cotton picked by slaves. The Mill "
    "Girls is a new play with songs about four of them, and about what solidarity costs.\n\n"
    "It opens at the Ginnel Theatre in March for a four-week run, then tours six mill towns, "
    "playing in the mills themselves. The cast of seven includes three actors from our "
    "community company.\n\n"
    "The goal pays for the set, which must fold into one van, and for the tour. Final day "
    "tomorrow!",
    {
      { "Programme thanks", "Your name in the programme.", 1000, 0, 4 },
      { "Opening night", "A ticket to the opening night and your name in the programme.", 3000, 80, 4 },
      { "Cast recording", "The songs on CD, signed by the cast.", 2000, 0, 6 },
      { "Sponsor a seat", "A seat plaque in the Ginnel's auditorium.", 25000, 20, 5 },
    } },
  { "canal-puppets", "amara_nwosu", "theater", "GBP", 800000, 40, SEED_SUCCESSFUL, 30, 0, 103, 50, NULL,
    "Puppets on the Canal: Touring Theatre by Narrowboat",
    "A narrowboat that opens up into a puppet theatre, travelling the Leeds and Liverpool "
    "Canal for a summer and stopping at every lock town for a free show.\n\n"
    "Funded with a day to spare. The boat is being fitted out now; tour dates follow.",
    {
      { "A paper puppet", "A cut-out paper puppet of the boat's captain.", 800, 0, 2 },
      { "Tour poster", "A signed risograph tour poster.", 2500, 0, 3 },
      { "Private show", "A show for your school, festival or party along the canal.", 60000, 5, 6 },
    } },
};

static const SeedUpdate updates[] = {
  { "tidewater", 10, CS_UPDATE_PUBLIC, "First proofs are in!",
    "The first proofs of 'Bonny Market' came off the drum this morning. The teal is a little "
    "greener than I expected and I love it.\n\nThank you for a wonderful first week." },
  { "tidewater", 4, CS_UPDATE_BACKERS_ONLY, "A secret thirteenth print",
    "Backers only: if we pass the goal, every portfolio will get a thirteenth print, of my "
    "aunt's boat at dawn. Here is the sketch." },
  { "saw-steel-knives", 12, CS_UPDATE_PUBLIC, "We are funded!",
    "We passed the goal this morning. The power hammer is ordered; it arrives in six weeks, "
    "on a truck from Pennsylvania." },
  { "saw-steel-knives", 3, CS_UPDATE_BACKERS_ONLY, "Handle wood: your vote",
    "Backers, we have a small stock of spalted maple. Would you like it offered as a free "
    "upgrade on the chef's knife? Answer in the survey we just sent." },
  { "canal-cities", 6, CS_UPDATE_PUBLIC, "Funded! Now for the stretch goals",
    "Thank you, Venetians! At 150% every copy gets linen-finish tiles; at 200% we add the "
    "Carnival mini-expansion to the core game." },
  { "canal-cities", 2, CS_UPDATE_BACKERS_ONLY, "Gondola colour poll",
    "The factory sent four gondola colours. Vote for the fourth player colour in the backer "
    "survey: teal, ochre or plum." },
  { "fjaril-synth", 15, CS_UPDATE_PUBLIC, "MIDI input unlocked",
    "At 200% every Fjäril gets a MIDI input (3.5 mm TRS, type A). The boards are updated and "
    "the schematics pushed to the repository." },
  { "fjaril-synth", 5, CS_UPDATE_BACKERS_ONLY, "Sound demo: the sequencer",
    "A twelve-minute jam recorded in one take, only Fjäril and a tape delay. Headphones on." },
  { "lighthouse", 14, CS_UPDATE_PUBLIC, "Back from Bishop Rock",
    "We spent two days on the rock with John, who kept its light for eleven years. The "
    "helicopter nearly did not come back for us. Stills from the trip are on the page." },
  { "border-radio", 3, CS_UPDATE_PUBLIC, "The band is booked",
    "Pedal steel: Earl Jimenez. Accordion: Lupita Cruz. The dance hall is ours for three "
    "nights in April. Now we just need to cross that goal line." },
  { "pocket-dungeon", 95, CS_UPDATE_PUBLIC, "Tins have shipped",
    "All tins left the warehouse this week. US orders should arrive within ten days, "
    "everywhere else within a month." },
  { "pocket-dungeon", 110, CS_UPDATE_BACKERS_ONLY, "Your monsters are in the game",
    "The ten backer-designed monsters are printed. The Grumbling Bookshelf is my favourite." },
  { "small-gods", 20, CS_UPDATE_PUBLIC, "Printing!",
    "The books are on the press in Bradford. Here is a short video of the first sheets." },
  { "sensor-garden", 9, CS_UPDATE_PUBLIC, "Range test: 2.4 km",
    "We walked a probe across Meersbrook Park until the base station lost it: 2.4 km, "
    "through two hedges and a hill." },
  { "mill-girls", 2, CS_UPDATE_PUBLIC, "Rehearsals have begun",
    "Day one of rehearsals, and the cast sang the first song through for the first time. "
    "Goosebumps. One more day to help us take it on tour." },
  { "tortellini-bike", 1, CS_UPDATE_BACKERS_ONLY, "A second bike!",
    "We passed the goal. The second bike is ordered, with an electric motor for the hills." },
};

/* The demo backer's own pledges (the app signs in as this account). */
static const SeedDemoPledge demo_pledges[] = {
  { "tidewater",        2,  3800, 9 },
  { "canal-cities",     3,  8900, 7 },
  { "border-radio",     1,  4000, 20 },
  { "sensor-garden",    1,  9900, 3 },
  { "fjaril-synth",     2, 24900, 12 },
  { "pocket-dungeon",   1,  4500, 130 },
};

/* ---- Seeding ------------------------------------------------------------- */

typedef struct {
  char   *id;
  gint64  start;      /* approval time, 0 if never live */
  gint64  end;
  guint   n_tiers;
  char   *tier_ids[SEED_MAX_TIERS];
  gint64  claimed[SEED_MAX_TIERS];
} SeededCampaign;

typedef struct {
  CsStoreConn *conn;
  gint64       now;
  GRand       *rand;
  const char  *password_hash;
  GHashTable  *users;        /* username → id */
  GHashTable  *campaigns;    /* key → SeededCampaign* */
  GPtrArray   *pool;         /* user ids of everyone who pledges: backers, then creators */
  const char  *moderator_id;
  const char  *admin_id;
  const char  *demo_id;
  guint        n_pledges;
  CsGateway   *gateway;
  GHashTable  *cards;        /* backer id → sandbox payment method id */
  char        *secret;       /* signs the in-process webhooks */
  CsServerConfig *config;
} SeedContext;

static void
seeded_campaign_free (gpointer data)
{
  SeededCampaign *sc = data;

  g_free (sc->id);
  for (guint i = 0; i < sc->n_tiers; i++)
    g_free (sc->tier_ids[i]);
  g_free (sc);
}

static guint
seed_tier_count (const SeedCampaign *spec)
{
  guint n = 0;

  while (n < SEED_MAX_TIERS && spec->tiers[n].title != NULL)
    n++;
  return n;
}

/* The first of the month @months months after @now: always in the future. */
static char *
seed_delivery_date (gint64 now, int months)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc (now);
  g_autoptr(GDateTime) d = g_date_time_add_months (t, MAX (months, 1));

  return g_strdup_printf ("%04d-%02d-01", g_date_time_get_year (d), g_date_time_get_month (d));
}

static char *
seed_email_for (const char *username)
{
  g_autofree char *local = g_strdelimit (g_strdup (username), "_", '.');

  return g_strdup_printf ("%s@crowdspark.test", local);
}

static gboolean
seed_user (SeedContext *ctx, const char *email, const char *username, const char *display_name,
           const char *bio, CsRole role, gint64 created_at, GError **error)
{
  g_autoptr(CsUser) user = cs_user_new ();

  user->id = cs_id_new ("usr");
  user->email = g_strdup (email);
  user->username = g_strdup (username);
  user->display_name = g_strdup (display_name);
  user->bio = g_strdup (bio);
  user->role = role;
  user->created_at = created_at;
  user->updated_at = created_at;

  if (!cs_store_user_insert (ctx->conn, user, ctx->password_hash, error))
    {
      g_prefix_error (error, "Seeding user “%s”: ", username);
      return FALSE;
    }

  g_hash_table_insert (ctx->users, g_strdup (username), g_strdup (user->id));
  return TRUE;
}

static gboolean
seed_users (SeedContext *ctx, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (staff_and_demo); i++)
    {
      if (!seed_user (ctx, staff_and_demo[i].email, staff_and_demo[i].username,
                      staff_and_demo[i].display_name, staff_and_demo[i].bio,
                      staff_and_demo[i].role, ctx->now - (900 - 30 * (gint64) i) * DAY, error))
        return FALSE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (creators); i++)
    {
      g_autofree char *email = seed_email_for (creators[i].username);

      if (!seed_user (ctx, email, creators[i].username, creators[i].display_name, creators[i].bio,
                      CS_ROLE_BACKER, ctx->now - creators[i].joined_days_ago * DAY - (gint64) i * HOUR,
                      error))
        return FALSE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (backers); i++)
    {
      g_autofree char *email = seed_email_for (backers[i].username);

      if (!seed_user (ctx, email, backers[i].username, backers[i].display_name, backers[i].bio,
                      CS_ROLE_BACKER, ctx->now - backers[i].joined_days_ago * DAY - (gint64) i * 7 * HOUR,
                      error))
        return FALSE;
    }

  ctx->admin_id = g_hash_table_lookup (ctx->users, "admin");
  ctx->moderator_id = g_hash_table_lookup (ctx->users, "moderator");
  ctx->demo_id = g_hash_table_lookup (ctx->users, "demo");

  /* Everybody but staff and the demo backer pledges: backers first, then
   * the creators backing each other. */
  for (guint i = 0; i < G_N_ELEMENTS (backers); i++)
    g_ptr_array_add (ctx->pool, g_hash_table_lookup (ctx->users, backers[i].username));
  for (guint i = 0; i < G_N_ELEMENTS (creators); i++)
    g_ptr_array_add (ctx->pool, g_hash_table_lookup (ctx->users, creators[i].username));

  return TRUE;
}

static CsCampaign *
seed_build_campaign (SeedContext *ctx, const SeedCampaign *spec, const char *creator_id,
                     gint64 created_at)
{
  CsCampaign *c = cs_campaign_new ();
  guint n_tiers = seed_tier_count (spec);

  c->id = cs_id_new ("cmp");
  c->creator_id = g_strdup (creator_id);
  c->title = g_strdup (spec->title);
  c->description = g_strdup (spec->story);
  c->category = g_strdup (spec->category);
  c->goal_amount = spec->goal;
  g_strlcpy (c->currency, spec->currency, sizeof c->currency);
  c->duration_days = spec->duration;
  c->image_url = NULL;
  c->created_at = created_at;
  c->updated_at = created_at;

  for (guint i = 0; i < n_tiers; i++)
    {
      const SeedTier *st = &spec->tiers[i];
      CsRewardTier *t = cs_reward_tier_new ();

      t->id = cs_id_new ("tier");
      t->campaign_id = g_strdup (c->id);
      t->title = g_strdup (st->title);
      t->description = g_strdup (st->description);
      t->minimum_pledge = st->minimum;
      t->estimated_delivery_date = seed_delivery_date (ctx->now, st->delivery_months);
      t->quantity_available = st->quantity > 0 ? st->quantity : -1;
      t->quantity_claimed = 0;
      t->position = (gint) i;
      t->created_at = created_at;
      t->updated_at = created_at;
      g_ptr_array_add (c->rewards, t);
    }

  return c;
}

static gboolean
seed_transition (SeedContext *ctx, const char *campaign_id, CsCampaignEvent event, const char *actor_id,
                 const char *reason, gint64 when, GError **error)
{
  g_autoptr(CsCampaign) after = cs_store_campaign_transition (ctx->conn, campaign_id, event, actor_id,
                                                              reason, when, error);
  return after != NULL;
}

static gint64
seed_round_amount (gint64 amount)
{
  gint64 unit = amount >= 20000 ? 500 : 100;

  return MAX (100, (amount + unit / 2) / unit * unit);
}

static gboolean
seed_tier_in_stock (const SeedCampaign *spec, const SeededCampaign *sc, guint i)
{
  return spec->tiers[i].quantity <= 0 || sc->claimed[i] < spec->tiers[i].quantity;
}

/* One backer's choice, for a pledge that should be worth about @desired on
 * average: most people pay exactly a tier's minimum, so pick between the
 * tiers just below and just above @desired with the odds that make the
 * expected amount @desired; prefer a cheaper limited tier (the early bird)
 * while it lasts; now and then somebody goes for the top tier, or just for the
 * cheapest, or adds a tip. */
static void
seed_choose (SeedContext *ctx, const SeedCampaign *spec, const SeededCampaign *sc, gint64 desired,
             int *tier_out, gint64 *amount_out)
{
  guint order[SEED_MAX_TIERS];
  guint n = 0;
  int chosen;
  gint64 amount;
  gint32 roll;

  /* The tiers in stock, cheapest first. */
  for (guint i = 0; i < sc->n_tiers; i++)
    {
      guint j;

      if (!seed_tier_in_stock (spec, sc, i))
        continue;
      for (j = n; j > 0 && spec->tiers[order[j - 1]].minimum > spec->tiers[i].minimum; j--)
        order[j] = order[j - 1];
      order[j] = i;
      n++;
    }

  desired = MAX (desired, 100);
  if (n == 0)
    {
      *tier_out = -1;
      *amount_out = seed_round_amount (desired);
      return;
    }

  roll = g_rand_int_range (ctx->rand, 0, 100);
  if (roll < 5 && spec->tiers[order[n - 1]].minimum <= desired * 4)
    {
      chosen = (int) order[n - 1];
    }
  else if (roll >= 90)
    {
      chosen = (int) order[0];
    }
  else if (desired < spec->tiers[order[0]].minimum)
    {
      double p = (double) desired / (double) spec->tiers[order[0]].minimum;

      if (g_rand_double (ctx->rand) >= p)
        {
          /* No reward, just support. */
          *tier_out = -1;
          *amount_out = MIN (seed_round_amount (desired / 2), MAX (spec->tiers[order[0]].minimum - 100, 100));
          return;
        }
      chosen = (int) order[0];
    }
  else if (desired >= spec->tiers[order[n - 1]].minimum)
    {
      chosen = (int) order[n - 1];
    }
  else
    {
      guint j = 0;
      gint64 lo, hi;

      while (spec->tiers[order[j + 1]].minimum <= desired)
        j++;
      lo = spec->tiers[order[j]].minimum;
      hi = spec->tiers[order[j + 1]].minimum;
      chosen = (int) order[g_rand_double (ctx->rand) < (double) (desired - lo) / (double) (hi - lo) ? j + 1 : j];
    }

  /* The early bird: a limited tier a little cheaper than the choice. */
  if (spec->tiers[chosen].quantity <= 0)
    {
      for (guint j = 0; j < n; j++)
        {
          const SeedTier *t = &spec->tiers[order[j]];

          if (t->quantity > 0 && t->minimum < spec->tiers[chosen].minimum &&
              t->minimum * 10 >= spec->tiers[chosen].minimum * 7)
            chosen = (int) order[j];
        }
    }

  amount = spec->tiers[chosen].minimum;
  if (desired > amount * 3 / 2 && chosen == (int) order[n - 1])
    amount = seed_round_amount (desired);                 /* a patron */
  else if (g_rand_int_range (ctx->rand, 0, 100) < 12)
    amount = seed_round_amount (amount + amount / 5 + 500); /* a tip */

  *tier_out = chosen;
  *amount_out = amount;
}

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

/* A sandbox card per backer; a few backers have the card whose capture
 * fails, so the demo shows a pledge waiting for a new payment method. */
static const char *
seed_card_for (SeedContext *ctx, const char *backer_id, GError **error)
{
  CsSandboxPaymentMethod pm = { 0 };
  const char *number;
  const char *existing = g_hash_table_lookup (ctx->cards, backer_id);

  if (existing != NULL)
    return existing;
  number = g_hash_table_size (ctx->cards) % 97 == 13 ? "4000000000000341" : "4242424242424242";
  if (!cs_sandbox_tokenize (ctx->conn, number, 12, 2030, "123", ctx->now, &pm, error))
    return NULL;
  g_hash_table_insert (ctx->cards, g_strdup (backer_id), g_strdup (pm.id));
  return g_hash_table_lookup (ctx->cards, backer_id);
}

static gboolean
seed_pledge (SeedContext *ctx, SeededCampaign *sc, const char *backer_id, int tier, gint64 amount,
             gint64 created_at, GError **error)
{
  g_autofree char *pledge_id = cs_id_new ("pl");
  g_autofree char *job_id = cs_id_new ("job");
  g_autoptr(CsPledge) pledge = NULL;
  g_auto(CsReplay) replay = { 0 };
  const char *pm = seed_card_for (ctx, backer_id, error);
  CsPledgeCreate create;
  CsIdempotency idem;

  if (pm == NULL)
    return FALSE;
  create = (CsPledgeCreate) {
    .pledge_id = pledge_id,
    .campaign_id = sc->id,
    .backer_id = backer_id,
    .amount = amount,
    .reward_tier_id = tier >= 0 ? sc->tier_ids[tier] : NULL,
    .payment_method_id = pm,
    .job_id = job_id,
  };
  idem = (CsIdempotency) { backer_id, pledge_id, "seed", pledge_id };
  if (!cs_store_pledge_create (ctx->conn, &create, &idem, created_at, &pledge, &replay, error))
    return FALSE;
  if (tier >= 0)
    sc->claimed[tier]++;
  ctx->n_pledges++;
  return TRUE;
}

/* Runs the gateway jobs and hands the providers' webhooks to the services,
 * signed and verified like over HTTP, until nothing is queued. */
static gboolean
seed_process_payments (SeedContext *ctx, GError **error)
{
  CsCall call = { .conn = ctx->conn, .config = ctx->config, .now = ctx->now };

  for (;;)
    {
      g_autoptr(GPtrArray) jobs = cs_store_payment_jobs_claim (ctx->conn, "seed", ctx->now, 600, 256, error);
      g_autoptr(GPtrArray) messages = NULL;

      if (jobs == NULL)
        return FALSE;
      for (guint i = 0; i < jobs->len; i++)
        {
          CsPaymentJob *job = g_ptr_array_index (jobs, i);
          g_autofree char *ref = NULL;

          if (!cs_gateway_execute (ctx->gateway, ctx->conn, job, ctx->now, &ref, error) ||
              !cs_store_payment_job_done (ctx->conn, job->id, ref, ctx->now, error))
            return FALSE;
        }
      messages = cs_store_outbox_claim (ctx->conn, "seed", ctx->now, 600, 256, error);
      if (messages == NULL)
        return FALSE;
      for (guint i = 0; i < messages->len; i++)
        {
          CsOutboxMessage *m = g_ptr_array_index (messages, i);
          g_autoptr(GBytes) body = g_bytes_new (m->body, strlen (m->body));
          g_autofree char *signature = cs_webhook_sign (ctx->secret, ctx->now, m->body, strlen (m->body));
          CsCampaignProgress progress = { 0 };
          g_autoptr(CsKycCheck) check = NULL;
          gboolean duplicate = FALSE;
          gboolean ok;

          if (g_strcmp0 (m->endpoint, "kyc") == 0)
            ok = cs_kyc_webhook (&call, ctx->secret, signature, body, &duplicate, &check, error);
          else
            ok = cs_payments_webhook (&call, ctx->secret, signature, body, &duplicate, &progress, NULL, error);
          if (!ok || !cs_store_outbox_delivered (ctx->conn, m->id, ctx->now, error))
            return FALSE;
        }
      if (jobs->len == 0 && messages->len == 0)
        return TRUE;
    }
}

/* Every creator verifies their identity with the sandbox provider. */
static gboolean
seed_verify_creators (SeedContext *ctx, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (creators); i++)
    {
      const char *user_id = g_hash_table_lookup (ctx->users, creators[i].username);
      g_autoptr(CsKycCheck) check = cs_kyc_check_new ();
      g_autoptr(CsKycCheck) stored = NULL;

      check->id = cs_id_new ("kyc");
      check->user_id = g_strdup (user_id);
      check->status = CS_KYC_PENDING;
      check->full_name = g_strdup (creators[i].display_name);
      check->country = g_strdup ("NL");
      check->document_type = g_strdup ("passport");
      check->document_last4 = g_strdup ("4821");
      check->created_at = check->updated_at = ctx->now - 200 * DAY;
      stored = cs_store_kyc_submit (ctx->conn, check, ctx->now - 200 * DAY, error);
      if (stored == NULL || !cs_kyc_provider_submit (ctx->conn, stored->id, "NX9934821", ctx->now, error))
        return FALSE;
    }
  return seed_process_payments (ctx, error);
}

/* Spreads about spec->percent of the goal over spec->backers pledges
 * between the campaign's start and min(now, end), each by a different
 * member of the pool (never the creator). */
static gboolean
seed_crowd_pledges (SeedContext *ctx, const SeedCampaign *spec, SeededCampaign *sc, guint index,
                    const char *creator_id, GError **error)
{
  gint64 target = spec->goal * spec->percent / 100;
  gint64 remaining = target;
  gint64 stop = MIN (ctx->now, sc->end) - 10 * 60;
  gint64 span = stop - sc->start - 20 * 60;
  guint n = MIN ((guint) spec->backers, ctx->pool->len - 1);
  guint offset = (index * 17) % ctx->pool->len;
  g_autofree gint64 *times = g_new (gint64, MAX (n, 1));
  double shape = (index % 3 == 0) ? 0.5 : (index % 3 == 1) ? 2.0 : 1.0;
  guint k = 0;

  if (n == 0 || span <= 0)
    return TRUE;

  /* Momentum differs: some campaigns gather pledges at the end (they trend
   * now), some at the start, some evenly. */
  for (guint i = 0; i < n; i++)
    times[i] = sc->start + 10 * 60 + (gint64) ((double) span * pow (g_rand_double (ctx->rand), shape));
  qsort (times, n, sizeof (gint64), compare_gint64);

  for (guint p = 0; k < n && p < ctx->pool->len; p++)
    {
      const char *backer_id = g_ptr_array_index (ctx->pool, (offset + p) % ctx->pool->len);
      gint64 share = MAX (remaining, 0) / (gint64) (n - k);
      gint64 desired, amount;
      int tier;

      if (g_strcmp0 (backer_id, creator_id) == 0)
        continue;

      /* What the rest of the crowd still has to bring, per head; once the
       * target is reached, late backers still come for the cheap tiers. */
      if (remaining <= 0)
        desired = spec->tiers[0].minimum;
      else if (k == n - 1)
        desired = remaining;
      else
        desired = share;
      seed_choose (ctx, spec, sc, desired, &tier, &amount);

      if (!seed_pledge (ctx, sc, backer_id, tier, amount, times[k], error))
        return FALSE;
      remaining -= amount;
      k++;
    }

  return TRUE;
}

static gboolean
seed_campaign (SeedContext *ctx, const SeedCampaign *spec, guint index, GError **error)
{
  const char *creator_id = g_hash_table_lookup (ctx->users, spec->creator);
  const char *approver = (index % 4 == 3) ? ctx->admin_id : ctx->moderator_id;
  g_autoptr(CsCampaign) draft = NULL;
  g_autoptr(CsCampaign) stored = NULL;
  SeededCampaign *sc;
  gint64 approve_at = 0, created_at, submit_at;

  g_return_val_if_fail (creator_id != NULL, FALSE);

  switch (spec->fate)
    {
    case SEED_LIVE:
      approve_at = ctx->now - spec->days * DAY - spec->hours * HOUR;
      break;
    case SEED_SUCCESSFUL:
    case SEED_FAILED:
      approve_at = ctx->now - (spec->days + spec->duration) * DAY;
      break;
    case SEED_DRAFT:
    case SEED_PENDING:
    case SEED_REJECTED:
    default:
      approve_at = 0;
      break;
    }

  if (approve_at != 0)
    {
      created_at = approve_at - (4 + index % 9) * DAY - (gint64) (index % 5) * HOUR;
      submit_at = approve_at - DAY - (gint64) (index % 7) * HOUR;
    }
  else
    {
      created_at = ctx->now - spec->days * DAY - (gint64) (index % 5) * HOUR;
      submit_at = created_at + DAY;
    }

  draft = seed_build_campaign (ctx, spec, creator_id, created_at);
  stored = cs_store_campaign_insert (ctx->conn, draft, error);
  if (stored == NULL)
    goto failed;

  sc = g_new0 (SeededCampaign, 1);
  sc->id = g_strdup (draft->id);
  sc->n_tiers = draft->rewards->len;
  for (guint i = 0; i < sc->n_tiers; i++)
    sc->tier_ids[i] = g_strdup (((CsRewardTier *) g_ptr_array_index (draft->rewards, i))->id);
  g_hash_table_insert (ctx->campaigns, (gpointer) spec->key, sc);

  if (spec->fate == SEED_DRAFT)
    return TRUE;

  if (!seed_transition (ctx, sc->id, CS_CAMPAIGN_EVENT_SUBMIT, creator_id, NULL, submit_at, error))
    goto failed;

  if (spec->fate == SEED_PENDING)
    return TRUE;

  if (spec->fate == SEED_REJECTED)
    {
      if (!seed_transition (ctx, sc->id, CS_CAMPAIGN_EVENT_REJECT, ctx->moderator_id, spec->reason,
                            submit_at + 2 * DAY, error))
        goto failed;
      return TRUE;
    }

  if (!seed_transition (ctx, sc->id, CS_CAMPAIGN_EVENT_APPROVE, approver, NULL, approve_at, error))
    goto failed;
  sc->start = approve_at;
  sc->end = approve_at + spec->duration * DAY;

  /* Pledges are made while the campaign is live; a successful campaign's
   * were collected at its deadline.  A failed campaign's authorizations
   * were voided, so it is left without any. */
  if (spec->fate == SEED_LIVE || spec->fate == SEED_SUCCESSFUL)
    {
      /* authorized now; the settlement collects those of successful campaigns */
      if (!seed_crowd_pledges (ctx, spec, sc, index, creator_id, error))
        goto failed;
    }

  return TRUE;

failed:
  g_prefix_error (error, "Seeding campaign “%s”: ", spec->title);
  return FALSE;
}

static const SeedCampaign *
seed_find_spec (const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (campaigns); i++)
    if (g_str_equal (campaigns[i].key, key))
      return &campaigns[i];
  return NULL;
}

static gboolean
seed_demo_backer (SeedContext *ctx, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (demo_pledges); i++)
    {
      const SeedDemoPledge *dp = &demo_pledges[i];
      const SeedCampaign *spec = seed_find_spec (dp->campaign);
      SeededCampaign *sc = g_hash_table_lookup (ctx->campaigns, dp->campaign);
      gint64 at;

      g_return_val_if_fail (spec != NULL && sc != NULL && sc->start != 0, FALSE);
      at = CLAMP (ctx->now - dp->days_ago * DAY, sc->start + HOUR, MIN (ctx->now, sc->end) - HOUR);
      if (!seed_pledge (ctx, sc, ctx->demo_id, dp->tier, dp->amount, at, error))
        {
          g_prefix_error (error, "Seeding the demo backer's pledge to “%s”: ", spec->title);
          return FALSE;
        }
    }
  return TRUE;
}

/* The pledges are authorized, then the settlement job settles every
 * campaign whose deadline has passed (captures, voids, fees), and the
 * gateway's answers are applied. */
static gboolean
seed_settle (SeedContext *ctx, GError **error)
{
  g_autoptr(GPtrArray) settled = g_ptr_array_new_with_free_func (g_free);

  if (!seed_process_payments (ctx, error) ||
      !cs_store_settle_due (ctx->conn, ctx->now, 1000, settled, error))
    return FALSE;
  return seed_process_payments (ctx, error);
}

static gboolean
seed_updates (SeedContext *ctx, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (updates); i++)
    {
      const SeedUpdate *su = &updates[i];
      const SeedCampaign *spec = seed_find_spec (su->campaign);
      SeededCampaign *sc = g_hash_table_lookup (ctx->campaigns, su->campaign);
      g_autoptr(CsUpdate) update = cs_update_new ();
      g_autoptr(CsUpdate) stored = NULL;

      g_return_val_if_fail (spec != NULL && sc != NULL && sc->start != 0, FALSE);

      update->id = cs_id_new ("upd");
      update->campaign_id = g_strdup (sc->id);
      update->author_id = g_strdup (g_hash_table_lookup (ctx->users, spec->creator));
      update->title = g_strdup (su->title);
      update->content = g_strdup (su->content);
      update->visibility = su->visibility;
      update->created_at = CLAMP (ctx->now - su->days_ago * DAY - (gint64) (i % 5) * HOUR,
                                  sc->start + HOUR, ctx->now - 60);

      stored = cs_store_update_insert (ctx->conn, update, error);
      if (stored == NULL)
        {
          g_prefix_error (error, "Seeding an update of “%s”: ", spec->title);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
seed_check_absent (CsStoreConn *conn, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *hash = NULL;
  g_autoptr(CsUser) existing = cs_store_user_get_by_login (conn, staff_and_demo[0].email, &hash, &local);

  if (existing != NULL)
    {
      g_set_error_literal (error, CS_ERROR, CS_ERROR_CONFLICT, "The demo data is already there");
      return FALSE;
    }
  if (!g_error_matches (local, CS_ERROR, CS_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return TRUE;
}

gboolean
cs_seed_demo (CsStore *store, CsStoreConn *conn, CsServerConfig *config, gint64 now, GError **error)
{
  g_autofree char *password_hash = NULL;
  SeedContext ctx = { 0 };
  gboolean ok = FALSE;

  g_return_val_if_fail (conn != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!seed_check_absent (conn, error))
    return FALSE;

  /* One argon2id hash for every demo account: hashing is slow on purpose. */
  password_hash = cs_password_hash (CS_SEED_DEMO_PASSWORD, config->password_cost, error);
  if (password_hash == NULL)
    return FALSE;

  ctx.conn = conn;
  ctx.now = now;
  ctx.rand = g_rand_new_with_seed (SEED_RANDOM_SEED);
  ctx.password_hash = password_hash;
  ctx.users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  ctx.campaigns = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, seeded_campaign_free);
  ctx.pool = g_ptr_array_new ();
  ctx.config = config;
  ctx.gateway = cs_gateway_new_sandbox (store);
  ctx.cards = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  {
    guint8 key[32];

    cs_random_bytes (key, sizeof key);
    ctx.secret = cs_base64url_encode (key, sizeof key);
  }

  if (!seed_users (&ctx, error) || !seed_verify_creators (&ctx, error))
    goto out;

  for (guint i = 0; i < G_N_ELEMENTS (campaigns); i++)
    if (!seed_campaign (&ctx, &campaigns[i], i, error))
      goto out;

  if (!seed_demo_backer (&ctx, error) ||
      !seed_settle (&ctx, error) ||
      !seed_updates (&ctx, error) ||
      !cs_store_refresh_trending (conn, now, error))
    goto out;

  g_debug ("Seeded %u users, %u campaigns, %u pledges and %u updates",
           g_hash_table_size (ctx.users), (guint) G_N_ELEMENTS (campaigns), ctx.n_pledges,
           (guint) G_N_ELEMENTS (updates));
  ok = TRUE;

out:
  cs_gateway_free (ctx.gateway);
  g_hash_table_unref (ctx.cards);
  g_free (ctx.secret);
  g_ptr_array_unref (ctx.pool);
  g_hash_table_unref (ctx.campaigns);
  g_hash_table_unref (ctx.users);
  g_rand_free (ctx.rand);
  return ok;
}
