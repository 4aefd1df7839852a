"""The opt-in guard: a clear request for the shop's messages, never a message that only mentions
sending, messages, adding or restoring (language/opt_in_request.py). Phrasings written for this test."""

from __future__ import annotations

import pytest

from language.opt_in_request import asks_for_messages


@pytest.mark.parametrize("text", [
    "لطفا منو عضو خبرنامه کنید",
    "subscribe me to your weekly deals",
    "میخوام حراجای بعدی رو برام پیامک کنید",
    "keep sending me your promos please",
    "شماره منو بذارید تو لیست پیامکی",
    "put me on your mailing list",
    "هر وقت اون شلوار سایز ۳۲ اومد خبرم کنید",
    "ping me when the red kettle is back",
    "از دستم در رفت زدم لغو، میخوام دوباره پیامک بیاد",
    "I hit stop by accident, turn the offers back on",
    # the eleventh pass: a shout or a note when something new comes, "keep me posted", put me on the list
    "مدل جدید ساعت که آوردین یه ندا بدین",
    "hr vaght mahsool jadid umad ye pm bzanid",
    "whenever you have a sale on, keep me posted",
    "منم تو لیست مشتریای دائمی بذاریدم",
    # the thirteenth pass: SMS Finglish meets the words by their consonants; the fourteenth: formal requests
    "hr vaght shal abi mojud shd khbrm knid",
    "age dobare omd bhm pym bdid",
    "takhfifaro baram bferestin lotfan",
    "mno ezafe konid be list",
    "در صورت موجود شدن این مدل، لطفاً اینجانب را مطلع فرمایید",
    # 2026-12-07 evening: an undone opt-out that names the messages or nothing else, news of the stream asked for
    "ghablan laghv karde budam, dobare payamaro mikham",
    "eshtebahi laghv krdm, dobre fal knid",
    "اطلاعات محصولات جدید رو برام بفرستید",
    "send me any news about new arrivals",
    "فعال‌سازی مجدد پیامک‌های تخفیف",
])
def test_a_clear_request_for_the_shops_messages(text):
    assert asks_for_messages(text)


@pytest.mark.parametrize("text", [
    "رسید خرید رو دوباره بفرستید",
    "send the tracking link again please",
    "یه شال هم به سفارشم اضافه کنید",
    "add a gift note to my order",
    "سفارشمو اشتباهی کنسل کردم، برش گردونید",
    "I cancelled the order by accident, can you restore it?",
    "کی این کیف دوباره موجود میشه؟",
    "when will the green mug be back in stock?",
    "اون پیامی که صبح فرستادین رو دوباره بفرستید",
    "how do I add a second address to my account",
    "I subscribed to your YouTube channel yesterday",
    "لغو عضویت از چی؟ من اصلا عضو نبودم",
    "وقتی سفارشم ارسال شد بهم پیام بدید",
    # the eleventh pass: a recommendation asked for, haggling, spam inviting the reader, an order's news
    "برای هدیه چی پیشنهاد میدید؟ یه چیز ظریف میخوام",
    "پیشنهادتون برای پوست خشک چیه؟",
    "yekam takhfif bedin dotash ro mikham",
    "با گوشیت پولدار شو، همین حالا عضو شوید",
    "keep me posted about my order please",
    "did you get my messages?",
    "let me know if this cable fits my phone",
    "keep the blue case aside for me till Friday",
    "لیست محصولات جدیدتون رو بفرستید",
    "شماره‌مو عوض کردم، به شماره جدید پیام بدید",
    "add me on telegram",
    # short English words are not read as SMS Finglish ("till" is no "tell")
    "can you hold it till friday for me",
    "bad news, the box came open",
    "khbr dadid ke ersal shd?",  # asks whether it shipped
    "لطفا از ارسال سفارش مطلع فرمایید",
    # 2026-12-07 evening, from blind-written development messages: information is no notice, something else
    # stopped and started again, messages deleted, "any news?" about one product
    "اطلاعات بیشتر در مورد این محصول بدید",
    "اطلاعات تماستون رو بفرستید",
    "کرمو قطع کردم دوباره شروع کنم؟",
    "I stopped using the cream, should I start again?",
    "خریدمو لغو کردم میخوام دوباره بخرم",
    "پیامای قبلیمو پاک کنید، اشتباهی فرستادم",
    "she said the 100ml would be back in stock last week, any news?",
    # the messages ended, or a call refused: no subscription
    "پیامای تبلیغاتی خیلی زیاده، لغوش کنید",
    "گروه تبلیغاتیتون منو ادد کرده، ریموو کنید منو",
    "thanks, but I'd rather not get your newsletter anymore",
    "zang nazanid lotfan, faghat payamak bedid",
])
def test_mentioning_sending_adding_or_restoring_is_no_request(text):
    assert not asks_for_messages(text)

