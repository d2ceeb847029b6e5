"""Plausible Arabic articles of the current week, for the demo and the benchmarks."""

from datetime import timedelta

from django.utils import timezone

from newsroom.models import Article, Section

SOURCE = "demo"

SECTIONS = [
    # slug, name, kind, order
    ("politics", "سياسة", Section.Kind.NEWS, 1),
    ("economy", "اقتصاد", Section.Kind.NEWS, 2),
    ("local", "محليات", Section.Kind.NEWS, 3),
    ("culture", "ثقافة وفنون", Section.Kind.NEWS, 4),
    ("sports", "رياضة", Section.Kind.NEWS, 5),
    ("technology", "علوم وتكنولوجيا", Section.Kind.NEWS, 6),
    ("light", "منوعات وطرائف", Section.Kind.LIGHT, 9),
]

# section slug, title, summary, editors' pick, views
ARTICLES = [
    ("politics", "البرلمان يقرّ قانون الموازنة العامة بعد جلسة مطوّلة", "صوّت النواب بالأغلبية على مشروع الموازنة بعد نقاش استمر حتى ساعة متأخرة من الليل.", True, 18200),
    ("politics", "وفد حكومي يزور المحافظات الشمالية لبحث ملف الخدمات", "ناقش الوفد مع المسؤولين المحليين خطط إعادة تأهيل شبكات المياه والكهرباء.", False, 6400),
    ("politics", "انطلاق الحوار الوطني حول قانون الانتخابات المحلية", "شارك ممثلون عن الأحزاب والنقابات في الجلسة الافتتاحية للحوار.", False, 5100),
    ("economy", "ارتفاع أسعار الخضار في الأسواق مع بداية الشتاء", "عزا التجار الارتفاع إلى تراجع الإنتاج المحلي وارتفاع تكاليف النقل.", False, 22100),
    ("economy", "المصرف المركزي يثبّت سعر الفائدة للشهر الثالث", "قال المصرف إن القرار يهدف إلى الحفاظ على استقرار سعر الصرف.", True, 9700),
    ("economy", "افتتاح معرض الصناعات الوطنية بمشاركة مئتي شركة", "يستمر المعرض أسبوعاً ويضم أجنحة للصناعات الغذائية والنسيجية.", False, 4300),
    ("economy", "صادرات زيت الزيتون تسجّل رقماً قياسياً هذا الموسم", "تجاوزت الصادرات توقعات المنتجين بفضل موسم قطاف وفير.", False, 3900),
    ("local", "إغلاق جزئي لشارع الثورة لأعمال الصيانة حتى نهاية الشهر", "دعت المحافظة السائقين إلى استخدام الطرق البديلة خلال ساعات الذروة.", False, 15800),
    ("local", "حملة تطوعية لتشجير الحدائق العامة في العاصمة", "شارك مئات المتطوعين في زراعة أكثر من ألفي شجرة خلال يومين.", False, 7200),
    ("local", "افتتاح مكتبة عامة جديدة في حي الميدان", "تضم المكتبة قاعة للأطفال وأخرى للمطالعة وتفتح أبوابها يومياً.", False, 2600),
    ("culture", "مهرجان المسرح يعود بعد غياب خمس سنوات", "تشارك في دورة هذا العام عشرون فرقة محلية وعربية.", True, 8800),
    ("culture", "معرض تشكيلي يحتفي بذاكرة المدينة القديمة", "يضم المعرض أربعين لوحة لفنانين من أجيال مختلفة.", False, 3100),
    ("culture", "رواية جديدة تفوز بجائزة الأدب العربي", "تتناول الرواية حكاية ثلاثة أجيال من عائلة واحدة.", False, 4700),
    ("sports", "المنتخب الوطني يتأهل إلى نهائيات كأس آسيا", "حسم المنتخب تأهله بفوز ثمين في الجولة الأخيرة من التصفيات.", True, 31400),
    ("sports", "نادي الوحدة يتصدر الدوري بعد فوزه على الجيش", "رفع الفريق رصيده إلى ثلاثين نقطة في صدارة الترتيب.", False, 12900),
    ("sports", "بطولة الشطرنج المدرسية تجمع ثلاثمئة طالب", "أقيمت البطولة على مدى ثلاثة أيام في الصالة الرياضية الكبرى.", False, 1800),
    ("technology", "جامعة دمشق تطلق برنامجاً للذكاء الاصطناعي", "يقبل البرنامج خمسين طالباً في دفعته الأولى العام المقبل.", False, 6900),
    ("technology", "تطبيق محلي لحجز مواعيد العيادات يتجاوز مئة ألف مستخدم", "يتيح التطبيق حجز المواعيد ومتابعة الوصفات الطبية إلكترونياً.", False, 5600),
    ("technology", "شبكة الجيل الرابع تصل إلى عشرين بلدة جديدة", "أعلنت الشركة المشغّلة خطة لتغطية الريف بالكامل خلال عامين.", False, 4100),
    ("light", "قطّ يعود إلى منزله بعد رحلة استمرت ثلاثة أشهر", "فوجئت العائلة بعودة قطها الذي قطع عشرات الكيلومترات.", False, 27600),
    ("light", "أكبر طبق كبة في العالم يدخل موسوعة غينيس", "شارك خمسون طاهياً في إعداد الطبق الذي بلغ وزنه طناً.", False, 19300),
    ("light", "عشر نصائح لشرب القهوة بلا أرق", "اختصاصيو التغذية يشرحون أفضل أوقات شرب القهوة خلال اليوم.", False, 9100),
    ("light", "جدّة في الثمانين تتعلم البرمجة وتطلق موقعها الأول", "تقول إنها بدأت التعلم لتتابع أحفادها المغتربين.", False, 11500),
]


# Last week's issue, so the archive has one sent digest: section slug, title, summary,
# editors' pick, views. Published 7–12 days before now.
LAST_WEEK = [
    ("politics", "الحكومة تعلن خطة لإصلاح قطاع النقل العام", "تتضمن الخطة تجديد أسطول الحافلات وتوسيع خطوط النقل داخل المدن.", True, 16400),
    ("economy", "انخفاض أسعار الذهب في السوق المحلية", "تراجع سعر الغرام بعد ارتفاع متواصل استمر ثلاثة أسابيع.", False, 14100),
    ("local", "افتتاح جسر المشاة الجديد قرب الجامعة", "يخدم الجسر آلاف الطلاب يومياً ويخفف الازدحام عند الإشارة.", False, 8300),
    ("culture", "أمسية شعرية في دار الأوبرا تستعيد قصائد نزار قباني", "قرأ شعراء شباب مختارات من دواوينه أمام جمهور غفير.", False, 6200),
    ("sports", "منتخب الشباب يفوز بلقب البطولة العربية", "حسم الفريق النهائي بركلات الترجيح بعد تعادل مثير.", True, 21900),
    ("light", "مقهى يقدّم القهوة مجاناً لمن يقرأ كتاباً", "صاحب المقهى يقول إنه يريد إعادة الناس إلى القراءة.", False, 12800),
]


def seed_articles(*, now=None) -> int:
    """Create or refresh the demo sections and articles, spread over the last 7 days."""
    now = now or timezone.now()
    sections = {}
    for slug, name, kind, order in SECTIONS:
        sections[slug], _ = Section.objects.update_or_create(
            slug=slug, defaults={"name": name, "kind": kind, "order": order}
        )
    for index, (section, title, summary, pick, views) in enumerate(ARTICLES):
        # Newest first, every ~7 hours back: all inside the 7 days ending now.
        published_at = now - timedelta(hours=2 + index * 7)
        Article.objects.update_or_create(
            source=SOURCE,
            external_id=f"demo-{index + 1}",
            defaults={
                "title": title,
                "slug": f"demo-{index + 1}",
                "url": f"https://news.example/{section}/{index + 1}/",
                "summary": summary,
                "image_url": "",
                "author": "فريق التحرير",
                "section": sections[section],
                "published_at": published_at,
                "status": Article.Status.PUBLISHED,
                "editors_pick": pick,
                "views": views,
            },
        )
    for index, (section, title, summary, pick, views) in enumerate(LAST_WEEK):
        Article.objects.update_or_create(
            source=SOURCE,
            external_id=f"demo-last-week-{index + 1}",
            defaults={
                "title": title,
                "slug": f"demo-last-week-{index + 1}",
                "url": f"https://news.example/{section}/last-week-{index + 1}/",
                "summary": summary,
                "image_url": "",
                "author": "فريق التحرير",
                "section": sections[section],
                "published_at": now - timedelta(days=7, hours=3 + index * 18),
                "status": Article.Status.PUBLISHED,
                "editors_pick": pick,
                "views": views,
            },
        )
    return len(ARTICLES)
