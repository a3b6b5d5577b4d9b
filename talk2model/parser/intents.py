"""Operation cues: which operations a delexicalised question asks for, and where.

Rules over the question once ids, what-ifs and conditions are placeholders. Each cue is a
pattern for one operation; every match is a candidate (op, position, arguments), so "why ... and
what would change it" yields explain then counterfactual. Absorption rules then drop the cues
that are part of a larger request ("why does the model *predict* ..." is explain, not predict).
The sentence model in `classifier.py` backs these rules up for wordings they do not cover.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

METRIC_WORDS = [
    ("roc_auc", r"roc[ _]?auc|auc[ _]?roc|\bauc\b|auroc|area under (?:the )?(?:roc )?(?:curve|roc)|roc curve|\broc\b"),
    ("npv", r"\bnpv\b|negative predictive value|negative predictive"),
    ("f1", r"f1 score|f1 measure|\bf1\b|f score|f-score|f measure|fscore|harmonic mean of precision"),
    ("precision", r"\bprecision\b|positive predictive value|\bppv\b|\bprecise\b"),
    ("recall", r"\brecall\b|sensitivity|true positive rate|\btpr\b|hit rate"),
    ("specificity", r"specificity|true negative rate|\btnr\b|\bspecific\b"),
    ("mae", r"\bmae\b|mean absolute error"),
    ("rmse", r"\brmse\b|root mean squared? error"),
    ("r2", r"\br2\b|r squared|coefficient of determination"),
    ("accuracy", r"accuracy|accurate|accurately|error rate|\bcorrect(?:ly)?\b(?! (?:prediction|classification|label|class|outcome|value|answer)s?\b)|"
                 r"how (?:well|good) (?:does|is|do) (?:the |this |your )?(?:model|classifier|it|predictor)(?! (?:do|work) on)|"
                 r"how (?:well|good) (?:does|is|do) (?:the |this |your )?(?:model|classifier|it) (?:do|perform|work)|"
                 r"\bperform(?:s|ing|ance)?\b|how (?:does|did|is|do) (?:the |this |your )?(?:model|classifier|it|predictor) (?:do|doing|fare|faring)\b|how often (?:is|does) (?:the |this )?(?:model|it) (?:right|correct|get it right)|"
                 r"how (?:reliable|good|trustworthy)|(?<!risk )\bscore\b(?! of)(?! (?:does|did|would|will) (?:the )?(?:model|classifier|it) (?:give|assign))(?! (?:(?:of|from|by) the (?:model|classifier) )?(?:for|of|on|given to|assigned to) (?:the )?<ID)|\bmetrics?\b|how right|hit the mark|"
                 r"\bright\b (?:answers?|predictions?)|misclassification rate|how often (?:is it|it is|the model is) (?:right|wrong)|"
                 r"error rate|get it right"),
]


@dataclass
class Cue:
    op: str
    pos: int
    args: dict = field(default_factory=dict)
    end: int = 0
    strength: float = 1.0


def _c(p: str) -> re.Pattern:
    return re.compile(p)


F = r"<[A-Z]*F[A-Z]*:(\d+)>"
ANYF = r"<[A-Z]*[FV][A-Z]*:(\d+)>"
GROUP = r"(?:<ID:\d+>|<K:\d+>|<[A-Z]*E[A-Z]*:\d+>)"

# (op, pattern); arguments are filled in by `detect`
CUES: list[tuple[str, re.Pattern]] = [
    ("capabilities", _c(r"what (?:can|could|else can|do|should|might|may) (?:you|i|we|this|it)(?: \w+){0,2} (?:do|ask|help|answer|know|handle|tell)|"
                        r"what (?:sort|sorts|kind|kinds|type|types) of (?:question|questions|things|stuff|queries|analys[ie]s)|"
                        r"what are you (?:able|capable|for|good)|your (?:capabilit|abilit|feature|skill|function)|"
                        r"\bcapabilit|what can i (?:ask|do|say|type|query)|how (?:do|can|should) i use (?:you|this)|"
                        r"^(?:help|hello|hi|hey|hi there|hello there|hey there|howdy|greetings|good (?:morning|afternoon|evening))\W*$|"
                        r"^(?:help|menu|options|commands|usage|instructions)\b|what do you do|who are you|what are you\b|"
                        r"what (?:questions|things) can|how does this (?:work|tool work|assistant work)|what is this (?:tool|assistant|app|bot|chat)|"
                        r"(?:list|show|tell)(?: me)? (?:your|the) (?:options|commands|capabilit)|examples? of (?:questions|what i can ask)|"
                        r"(?:help|assist|support) me with|what (?:are|is) (?:the|your) (?:options|commands)|what operations")),
    ("followup", _c(r"^(?:and |ok |okay |please |pls |now |yes |sure |go ahead and |can you |could you )*(?:more|tell me more|show (?:me )?more|show the rest|"
                    r"the rest|rest of (?:it|them|the \w+)|continue|go on|keep going|next|next page|more please|"
                    r"more details?|more info(?:rmation)?|elaborate(?: (?:on|about) (?:that|this|it|the (?:answer|last (?:one|answer))))?|go into (?:more )?detail|(?:show|see|give|list|print|let me see)(?: me| us)? (?:the )?(?:rest|remaining|next|others|remainder|more)(?: (?:of (?:it|them|the (?:list|table|rows|results))|ones|rows|results|<[A-Z]*E[A-Z]*:\d+>))?|"
                    r"what else|anything else|elaborate|expand(?: on that| on it)?|say more|and then|what next|"
                    r"(?:can you |could you )?(?:tell|show|give) me more(?: about (?:it|that|this))?|keep it coming|"
                    r"next (?:ones|rows|results|part|bit|batch|few|items|page)|(?:load|show) more (?:rows|results|items)|"
                    r"more (?:rows|results|items|of (?:that|those|them|this|it)|about (?:that|this|it))|"
                    r"(?:please )?continue(?: please)?|carry on|go further|further|remaining (?:ones|rows|items))"
                    r"(?: please| pls| thanks| thank you)?\W*$")),
    ("explain", _c(r"\bwhy\b|\bexplain|explanation|\breasons?\b|\breasoning\b|\bjustif|what (?:drove|drives|led|leads|caused|causes|made|makes|is driving|was driving)|"
                   r"\bshap\b|\blime\b|how (?:did|does|do) (?:the |this )?(?:model|classifier|it|algorithm|system) (?:decide|arrive|reach|come|make|get to|conclude|determine)|"
                   r"(?:feature|local) (?:contributions?|attributions?)|attribution|what (?:factors|features) (?:contributed|influenced|mattered|affected|drove|led)|"
                   r"(?:contributed|contributing|influenced|influencing) (?:to )?(?:the|this|that|its) (?:prediction|decision|outcome|result)|"
                   r"what is behind|what's behind|the basis (?:for|of)|on what basis|based on what|what influenced|how come|"
                   r"\bdriving (?:the|this|that|its) (?:prediction|decision|outcome)|break ?down (?:the|this|that) (?:prediction|decision)|"
                   r"rationale|grounds? for")),
    ("counterfactual", _c(r"counterfactual|counter factual|what (?:would|could|should|must|needs? to|has to|have to|do i|does|do they|do we) (?:[^\s?.!,;]+ ){0,5}(?:change|differ|be different|alter|do differently|improve)|"
                          r"(?:change|flip|reverse|overturn|alter|switch|invert|turn around)(?:d)? (?:the |this |that |his |her |their |its |my |our )?(?:outcome|prediction|decision|result|verdict|classification|label|class|answer|rating|diagnosis|it|them)\b|"
                          r"(?:flip|reverse|overturn|turn around)(?:ped|d|ed)?\b|"
                          r"(?:get|obtain|achieve|reach|receive) (?:a |an )?(?:different|other|opposite|better|another) (?:outcome|result|prediction|decision|answer|class)|"
                          r"(?:different|opposite|other) (?:outcome|result|prediction|decision|class)|"
                          r"how (?:can|could|would|might|do|does|should) (?:<ID:\d+>|they|he|she|i|we|someone|this <[A-Z]*E[A-Z]*:\d+>|the <[A-Z]*E[A-Z]*:\d+>) (?:\w+ ){0,3}(?:to )?(?:be|get|become|turn|end up) (?:<[A-Z]*C[A-Z]*:\d+>)|"
                          r"what (?:would it|will it|does it|did it) take|what minimal|minimal changes?|smallest changes?|least change|"
                          r"what (?:changes|should be changed|must be changed|needs to be changed|has to change|would have to change)|"
                          r"(?:need|needs|have|has|had) to (?:change|do|improve|alter)|"
                          r"changes? (?:would|could|might|that would|needed|required|necessary) (?:\w+ ){0,3}(?:flip|change|turn|make|get|lead)|"
                          r"how to (?:change|flip|reverse|get|become|turn|obtain|make)|in order to (?:be|get|become)|"
                          r"(?:in order|so as) to (?:be|get|become)|(?:need|needs|have|has|must|should) (?:to )?(?:be|become|get) (?:<[A-Z]*C[A-Z]*:\d+>)|(?:need|needs|have|has) to do to (?:be|get|become)|"
                          r"what if scenarios? that|what could (?:i|we) (?:do|change)|what (?:could|can|should|might|would) (?:<ID:\d+>|they|he|she|someone|this <[A-Z]*E[A-Z]*:\d+>|the <[A-Z]*E[A-Z]*:\d+>) (?:have )?(?:do|done|change|changed)\b|"
                          r"recourse|actionable|(?:make|turn|get) (?:<ID:\d+>|them|it|him|her|this \w+|the \w+) (?:\w+ )?<[A-Z]*C")),
    ("likelihood", _c(r"probabilit|\bprobable\b|likelihood|\blikely\b|\bodds\b|\bchances?\b|\bconfiden|how (?:much |very )?(?:sure|certain)|\bcertainty\b|"
                      r"\bcertain is|\bpercent(?:age)? chance|predicted probabilit|predict_proba|proba\b|"
                      r"\bprobably\b|how (?:strongly|much) does the model (?:believe|think)|\brisk score|"
                      r"(?:class|prediction) scores?|\bscores? for (?:each|the|both) class|"
                      r"(?<!f1 )(?<!f )(?<!auc )(?<!r2 )\bscores? (?:(?:of|from|by) the (?:model|classifier) )?(?:for|of|on|given to|assigned to) (?:the )?<ID:\d+>|"
                      r"\bscores? (?:does|did|would|will) (?:the )?(?:model|classifier|it) (?:give|assign)")),
    ("predict", _c(r"\bpredict|\bprediction|\bforecast|\bclassif(?:y|ied|ication)|\boutcome\b|\bverdict\b|\bdecision\b|"
                   r"what (?:does|did|would|will|do) (?:the |this |your )?(?:model|classifier|system|algorithm|it|you) (?:say|think|decide|output|conclude|guess|give|assign|return|expect|answer)|"
                   r"what (?:the |this )?(?:model|classifier|system|algorithm) (?:decided|decides|said|says|thinks|predicted|predicts|concluded|gave|assigned)|"
                   r"what (?:would|will|does|did) (?:the |this )?(?:model|classifier) (?:say|think) about|(?:model|classifier)(?:'s|s)? (?:output|answer|call|guess|verdict)|"
                   r"\bestimate\b|\bpredicted (?:class|label|outcome|value)|\bresult\b|what is the (?:call|answer) for|"
                   r"what (?:class|category|label) (?:does|would|will|is)|how (?:is|was|would|will) (?:<ID:\d+>|it|this|they) (?:be )?(?:classified|rated|judged|assessed|categori[sz]ed|scored)|"
                   r"(?:the |this )?(?:model|classifier) (?:say|says|said|think|thinks|decide|decides|predict|predicts)\b|"
                   r"\brated\b|\bflagged\b|\bjudged\b|\bassessed\b|\bdeemed\b|\bconsidered\b")),
    ("labels", _c(r"(?:true|real|actual|correct|ground|observed|original|recorded|given|gold|known|right) ?(?:truth )?(?:labels?|class(?:es)?|outcomes?|values?|diagnos[ie]s|targets?|answers?|results?|categor(?:y|ies)|status)|"
                  r"ground truth|\blabels?\b(?! (?:of|for) (?:the )?(?:features?|columns?))|in reality|what (?:really|actually) happened|"
                  r"(?:what|which) (?:is|was|are|were) (?:they|it|<ID:\d+>|he|she) (?:really|actually)|"
                  r"what does the data say|according to the data|\btarget (?:values?|column|variable)\b|data says|"
                  r"\b(?:really|actually|truly|in fact|in reality) (?:\w+ ){0,2}<[A-Z]*C|"
                  r"(?:vs\.?|versus|compared (?:to|with)|against) (?:the )?(?:actual|real|true|truth|reality|correct)\b|(?:was|were|is|did) <ID:\d+> (?:really|actually|truly)")),
    ("importance", _c(r"(?:what|which) (?:are )?(?:the )?(?:features|variables|factors|attributes|inputs) (?:that |which )?(?:does |do |did |is |was )?(?:the |this )?"
                      r"(?:model|classifier|it) (?:uses?|used|using|relies on|relied on|looks? at|considers?|takes into account)|\bimportan|\bmatters?\b|\bmattered\b|\binfluential\b|\bmost influence|\bsignifican|\brelevan|"
                      r"(?:top|key|main|biggest|strongest|major|primary|leading|dominant|decisive|crucial|critical) (?:\d+ |<N:\d+> )?(?:[a-z]+ )?(?:features?|factors?|drivers?|predictors?|variables?|attributes?|columns?)|"
                      r"(?:features?|factors?|variables?|predictors?|attributes?|columns?) (?:\w+ ){0,3}(?:drive|drives|driving|pushed|push|pushes|shaped|shape|influenced|influence|influences|count|counts|weigh|weighs|affect|affects|impact|impacts|contribute|contributes|carry|have the (?:most|biggest|largest|greatest))|"
                      r"(?:rank|ranking|ranked|order|sort|sorted)(?: all| the| of the| of)? (?:<N:\d+> )?(?:features?|factors?|variables?|predictors?|attributes?|columns?)|"
                      r"(?:features?|factors?|variables?) (?:ranking|ranked|by importance|in order)|"
                      r"\brank\b|\branking\b|\bweight (?:of|given to)|how much (?:weight|influence|effect|impact) does|"
                      r"(?:which|what) (?:\d+ |<N:\d+> )?(?:features?|factors?|variables?|attributes?|predictors?|columns?) (?:\w+ ){0,3}(?:most|the most|biggest|largest|strongest|more)|"
                      r"(?:most|more|less|least) (?:predictive|informative|useful|decisive)|feature importance|importance|"
                      r"(?:features?|factors?|variables?|attributes?|inputs?|measurements?|columns?) (?:\w+ ){0,4}(?:rel(?:y|ies|ied|ying) on|depends? on|leans? on|focus(?:es)? on|looks? at|pays? (?:the most )?attention to|uses? (?:the )?most|weighs? (?:the )?most)|"
                      r"(?:which|what) (?:of (?:the|her|his|their|its) )?(?:measurements?|inputs?|characteristics|values|traits) (?:\w+ ){0,2}(?:push\w*|drove|drive\w*|matter\w*|influenc\w*|count\w*|affect\w*|shap\w*)")),
    ("interactions", _c(r"\binteract|\binterplay|\bjointly|combined (?:effect|influence)|work together|(?:features?|variables?) (?:that )?(?:go|act|work) together|"
                        r"(?:pairs?|combinations?) of (?:features|variables|factors)|synerg")),
    ("dependence", _c(r"(?:effect|impact|influence|role) of (?:the |their |a |an )?(?:<[A-Z]*E[A-Z]*:\d+> )?<[A-Z]*F|"
                      r"(?:how|in what way) (?:does|do|did|would|will|is|are) (?:the |their |a |an )?(?:changing |changes in |increasing |decreasing |higher |lower )?<[A-Z]*F[A-Z]*:\d+> (?:(?:\w+|<[A-Z]*F[A-Z]*:\d+>) ){0,5}?(?:affect|affects|influence|influences|impact|impacts|change|changes|shape|shapes|relate|relates|move|drive|alter|matter to)|"
                      r"(?:vary|varies|change|changes|move|moves|depend|depends|dependent|respond|responds|react|reacts|evolve|evolves|shift|shifts) (?:\w+ ){0,3}(?:with|on|as|when|against|according to|across) (?:the |their |a |an |increasing |higher |lower |changing )?(?:number of |amount of |level of |value of )?<[A-Z]*F|"
                      r"(?:as|when|if) (?:the |their )?(?:number of )?<[A-Z]*F[A-Z]*:\d+> (?:goes|go|gets|get|increases|increase|rises|rise|grows|grow|decreases|decrease|falls|fall|changes|change|varies|vary|is (?:higher|lower|increased|decreased))|"
                      r"partial dependence|dependence|\bpdp\b|(?:relationship|relation|association|correlation|link|connection) (?:between|of) (?:the )?<[A-Z]*F|"
                      r"<[A-Z]*F[A-Z]*:\d+> (?:\w+ ){0,2}(?:affect|affects|influence|influences|impact|impacts|change|changes|shape|shapes|drive|drives) (?:the )?(?:model(?:'s)? )?(?:predictions?|outcomes?|decisions?|results?|output|probabilit|risk|score)|"
                      r"(?:predictions?|outcomes?|probabilit\w*) (?:\w+ ){0,2}(?:across|over|by|along|vs\.?|versus|against) (?:the )?(?:range of |values of |levels of |different )?<[A-Z]*F|"
                      r"(?:plot|graph|chart|curve) (?:of )?(?:the )?(?:predictions? |probabilit\w* )?(?:against|vs\.?|versus|by|over) (?:the )?<[A-Z]*F")),
    ("rules", _c(r"\brules?\b|if[ -]then|(?<!is the model a )(?<!is it a )(?<!is this a )decision (?:tree|logic|boundar)|logic (?:of|behind) the model|(?:summar(?:y|ise|ize)|describe) (?:the model'?s? )?(?:decision|logic)|"
                 r"how does the model (?:make (?:its )?decisions|decide in general)|conditions? (?:that|which) lead|what (?:patterns|conditions) (?:lead|does the model use)")),
    ("mistakes", _c(r"\bmistakes?\b|\berrors?\b(?! rate)|\bmisclassif|\bwrong(?:ly)?\b|\bincorrect(?:ly)?\b|\berr\b|\berrs\b|\bfail(?:s|ed|ures?)?\b|"
                    r"\bmiss(?:es|ed)? (?!payments?)|\bmispredict|false (?:positives?|negatives?)|\bgets? (?:\w+ )?wrong|"
                    r"\bget wrong|\bscrew|\bmessed up|\bslip|\bblunder|\bconfus(?:ed|ion|es)")),
    ("count", _c(r"how many|number of(?! <[A-Z]*F)|\bcount\b|\bcounts\b|\bhow much data|\btotal\b|\bsize of (?:the )?(?:data|dataset|sample)|"
                 r"how (?:big|large) is (?:the |this )?(?:data|dataset)|\btally\b|\bquantity\b|\bhow many\b|\bamount of (?:rows|people|records|data)")),
    ("show", _c(r"\bshow\b|\blist\b|\bdisplay\b|\bprint\b|\bsee\b|\bview\b|\bwhich (?:ones|people|rows|records|applicants|patients|defendants)\b|"
                r"\bdetails?\b|\bdata (?:for|of|on|about)\b|\bwhat is in\b|\bwhats in\b|\brecords?\b|\brow\b|\brows\b|\bentr(?:y|ies)\b|"
                r"\bfeatures? (?:values? )?(?:of|for)\b|\bvalues? (?:of|for) <ID|\bprofile\b|\bgive me\b(?! (?:the )?(?:accuracy|precision))|"
                r"\bpull up\b|\blook up\b|\blookup\b|\bfind\b|\bfetch\b|\bretrieve\b|\binformation (?:on|about|for)\b|\binfo (?:on|about|for)\b|^(?:so |and )?who (?:are|is)\b")),
    ("statistic", _c(r"\baverage\b|\bmean\b|\bmedian\b|\bdistribution\b|\bspread\b|\bstatistic|\bstats\b|\bsummary\b|\bsummari[sz]e\b|"
                     r"\bstandard deviation\b|\bstd\b|\bvariance\b|\brange of\b|\bminimum\b|\bmaximum\b|\bmin\b|\bmax\b|\bhighest\b|\blowest\b|"
                     r"\btypical\b|\bpercentiles?\b|\bquartiles?\b|\bhistogram\b|\bbreakdown\b|\bvalues? of\b|\bhow (?:old|long|much|high|big|tall)\b|"
                     r"\bdescribe (?:the )?<[A-Z]*F|\bspread of|\bin general\b|\bnormally\b|\busually\b|"
                     r"what (?:is|are|was|were) (?:the |their )?<[A-Z]*F[A-Z]*:\d+> like|"
                     r"\b(?:most|least) (?:common|frequent|popular|typical)\b|(?:class|label|outcome|target) (?:balance|distribution|split|breakdown|ratio|proportions?|frequenc)|"
                     r"(?:balance|ratio|split|breakdown|distribution) (?:of|between) (?:the )?(?:classes|labels|outcomes|good|bad|<[A-Z]*C)")),
    ("bias", _c(r"\bracis|\bsexis|\bageis|\bfair\b|\bfairly\b|\bfairness\b|\bunfair|\bbias|\bdiscriminat|\bprejudic|\bdisparit|\bequit|\bequal(?:ly)? treat|\btreat(?:s|ed|ing)? (?:\S+ ){0,6}(?:equally|differently|fairly|the same|worse|better|unfairly)|"
                r"\b(?:differently|different outcomes?|different predictions?) (?:for|from|than|between) (?:the )?<[A-Z]*[EKV]|"
                r"\bdisadvantag|\bpenali[sz]|\bfavou?r(?:s|ed|ing)? (?:\w+ ){0,3}(?:over|against)|\bsame (?:way|treatment)|\bparity\b|\bequal opportunit|\bdemographic parity|\bdisparate")),
    ("describe_data", _c(r"(?:what|which) (?:is|are) (?:in )?(?:the |this |your )?(?:data|dataset|data set|training data)\b(?! (?:for|of|on))|"
                         r"(?:describe|summari[sz]e|explain|tell me about|overview of|information about|info about|about)(?: me| to me| us)? (?:the |this |your )?(?:data|dataset|data set|training data)\b|"
                         r"what data (?:was|is|were|did|do|does) (?:it|the model|this model|they|you)\b|what data (?:are )?you (?:are )?(?:using|use|have|work)|"
                         r"(?:data|dataset|data set) (?:about|description|overview|contain|consist)|what (?:data|dataset) (?:is|are|do|does)|"
                         r"what (?:is|are) (?:the |this )?(?:data|dataset)(?: \w+)? about(?! <)|where does the data come from|what features (?:are there|does the data have|do you have|exist)|"
                         r"(?:which|what) (?:columns|features|variables|attributes) (?:are|does|do|exist|are there|are in)|list (?:the |all )?(?:columns|features|variables)|"
                         r"what do you know about the data|what are we looking at|(?:data|dataset|data set) look like|"
                         r"(?:what|which) (?:information|info) (?:is|do you have) (?:in|about|on)|what (?:is|are) (?:this|the) (?:data|dataset)\b(?! (?:for|of|on|about) <)|"
                         r"how many (?:features|columns|variables|attributes|fields|inputs) (?:are there|does|do|is|are in|in)|"
                         r"how many (?:features|columns|variables|attributes|fields|inputs)\W*$")),
    ("describe_model", _c(r"(?:describe|summari[sz]e|explain|tell me about|overview of|information about|info about|about)(?: me| to me| us)? "
                          r"(?:the |this |your )?(?:data|dataset|data set|training data),? (?:and|as well as|&|plus) (?:also )?(?:about )?"
                          r"(?:the |this |your )?(?P<at>model|classifier|algorithm)\b(?! (?:'s )?(?:predictions?|decisions?|mistakes|errors|accuracy))|"
                          r"(?:what|which) (?:kind |sort |type )?(?:of )?(?:model|algorithm|classifier|estimator|learner|method)(?! (?:error|mistake))\b(?! (?:performance|accuracy))|"
                          r"(?:describe|explain|tell me about|details? (?:of|about|on)|information about|info about|overview of) (?:the |this |your )?(?:model|classifier|algorithm)\b(?! (?:'s )?(?:predictions?|decisions?|mistakes|errors|accuracy))|"
                          r"how (?:was|is) (?:the |this )?model (?:trained|built|made|created|fit)|(?:model|algorithm) (?:type|architecture|family|details|hyperparameters|description)|"
                          r"what (?:is|powers|sits behind|runs) (?:the |this )?(?:model|predictions)(?: \?|$| like| based on| made of| trained)|what is under the hood|under the hood|which algorithm|"
                          r"(?:type|kind|sort|family|class) of (?:the )?(?:model|classifier|algorithm|estimator)\b(?! (?:error|mistake))|"
                          r"(?:is|was) (?:the |this |your )?(?:model|classifier|it) (?:a |an )(?:\w+ ){0,2}(?:tree|forest|network|regression|classifier|model|svm|ensemble|boost\w*|xgboost)|"
                          r"(?:what|which) (?:ml |machine learning |statistical |predictive )(?:model|algorithm|method|technique)|"
                          r"how (?:does|did) (?:the |this |your )?(?:model|classifier|algorithm) work\b(?! (?:for|on) )")),
    ("define", _c(r"what counts as (?:(?:a|an|the) )?(?:'|\")?<(?:[A-Z]*[FV][A-Z]*|K):\d+>|"
                  r"what (?:is|does) (?:the )?(?:'|\")?<(?:[A-Z]*[FV][A-Z]*|K):\d+>(?:'|\")? mean\b|"
                  r"(?:what|wat) (?:does|do|is meant by|is the meaning of|is the definition of|exactly is|exactly does) (?:the )?(?:feature |column |variable |term |word |field )?(?:'|\")?<(?:[A-Z]*[FV][A-Z]*|K):\d+>(?:'|\")? (?:\w+ )?(?:mean|means|refer|represent|stand|measure|indicate|describe|capture|encode|signify)|"
                  r"(?:explain|describe|clarify|define) (?:to me )?(?:the |what )?(?:feature |column |variable |field )?<(?:[A-Z]*[FV][A-Z]*|K):\d+> (?:column|feature|variable|field|attribute|means?)\b|"
                  r"what (?:means|mean) (?:the )?(?:feature |column |variable |term |field )?<(?:[A-Z]*[FV][A-Z]*|K):\d+>|"
                  r"\bmeaning of\b|\bdefin(?:e|ition)\b|\bstands? for\b|\brefers? to\b|\bwhat is meant by\b|\bmeant by\b|(?:explain|describe) (?:what )?(?:the )?(?:feature|column|variable|term|field) |"
                  r"what (?:kind of )?(?:information|info) (?:does|is in) |what (?:the )?<(?:[A-Z]*[FV][A-Z]*|K):\d+> (?:column |feature |variable )?(?:measures|means|represents|stands for|captures|encodes|is about)|how is <[A-Z]*F[A-Z]*:\d+> (?:defined|measured|coded|encoded|calculated|computed)|"
                  r"\bmeasures?\b what|what (?:is|are) (?:a |an |the )?(?:'|\")?<[A-Z]*F[A-Z]*:\d+>(?:'|\")? *(?:\?|$)")),
    ("repeat", _c(r"^(?:and |ok |okay |now |so |but )*(?:the )?same (?:thing |question |analysis |query )?(?:for|with|but|on|about|,)|"
                  r"\bdo (?:the same|that|it|this) (?:again )?(?:for|with|on)|\b(?:same|again|as well|likewise|too)\W*$|"
                  r"^(?:and |ok |okay |so |but )*(?:now|then|next)(?: do| try| repeat| check)?(?: it| that| this)? (?:for|with|on|about|<ID|<K|<[A-Z]*[EV])|"
                  r"^(?:and |ok |okay |so |but )*(?:what|how) about\b|^(?:and |ok |okay |so |but )*(?:for|with|on) (?:<ID|<K|<[A-Z]*[EV])[^?]*\?*$|"
                  r"\brepeat\b|\bredo\b|\bre-?run\b|\bsame (?:for|with|thing|question|analysis)|^(?:and |ok |okay |so )*(?:<ID:\d+>|<K:\d+>)\W*$|"
                  r"^(?:and |ok |okay |so |but )*(?:try|check|do) (?:it |that |this )?(?:for|with|on) ")),
]

PREVIOUS = re.compile(r"\b(?:(?:those|these)(?! (?:who|whom|whose|which|that|where|with|without|having|aged|"
                      r"older|younger|over|under|above|below|between|at least|at most|more than|less than)\b)"
                      r"(?! (?:predictions?|results?|features?|numbers?|questions?|errors?|mistakes?|"
                      r"metrics?|rules?|values?|explanations?|answers?|scores?|figures?|columns?|variables?|"
                      r"factors?|classes|labels?|outcomes?|decisions?|interactions?|changes?|things?|ones? (?:features?|columns?)))|them|that group|this group|the group|same group|same people|said|such|"
                      r"the same (?:ones|people|group|rows|applicants|patients|defendants|individuals|subset|selection|<[A-Z]*E[A-Z]*:\d+>)|"
                      r"previous (?:group|selection|ones|people|results?)|the selection|that selection|"
                      r"this subset|that subset|the subset(?! (?:with|where|of|whose|that|who|which|in|for|having|<))|above (?:group|people)|these ones|those ones|"
                      r"among them|of them|for them|the ones (?:above|before|you just)|aforementioned)\b|"
                      r"\bthe same <[A-Z]*E[A-Z]*:\d+>")

# a larger request absorbs the cues inside it ("why does the model predict" is explain only)
ABSORBS = {
    "explain": {"predict", "likelihood", "describe_model", "show", "labels", "count", "importance", "statistic"},
    "counterfactual": {"predict", "likelihood", "explain", "show", "labels"},
    "mistakes": {"predict", "count", "show", "labels", "statistic", "score"},
    "dependence": {"predict", "likelihood", "show", "importance", "statistic"},
    "importance": {"predict", "show", "count", "labels", "statistic"},
    "interactions": {"predict", "importance", "show", "dependence", "statistic"},
    "rules": {"predict", "show", "describe_model", "explain", "statistic"},
    "bias": {"predict", "show", "score", "statistic", "dependence", "importance", "likelihood"},
    "score": {"predict", "show", "labels", "statistic"},
    "likelihood": {"predict", "show", "statistic"},
    "labels": {"show", "predict", "statistic"},
    "statistic": {"show", "count"},
    "define": {"show", "describe_data", "statistic", "explain", "count"},
    "describe_data": {"show", "count", "statistic", "explain"},
    "describe_model": {"show", "predict", "explain", "score"},
    "capabilities": {"show", "predict", "describe_model", "describe_data", "count", "explain"},
    "count": {"show"},
    "predict": {"show"},
}
SPLIT = re.compile(r"\s*(?:[,;?.!]|\band then\b|\bthen\b|\band also\b|\balso\b|\bas well as\b|\bplus\b|&|\band\b|\bbut\b|\balong with\b|\btogether with\b|\bafter that\b|\bfollowed by\b)\s*")


def clauses(text: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for m in SPLIT.finditer(text):
        if m.start() > start:
            out.append((start, m.start()))
        start = m.end()
    if start < len(text):
        out.append((start, len(text)))
    return out


WEAK = {"describe_model", "describe_data", "show"}
GENERIC_SCORE = re.compile(r"score|perform|metric|how (?:well|good|reliable|trustworthy)|right|hit the mark")


def _generic(span: str) -> bool:
    return bool(GENERIC_SCORE.match(span)) and "accura" not in span


def detect(text: str) -> list[Cue]:
    """Operation cues in order of position, after absorption within each clause."""
    cues: list[Cue] = []
    for op, rx in CUES:
        for m in rx.finditer(text):
            # a pattern may say where its request stands ("about the data and the <model>")
            at = m.start("at") if "at" in rx.groupindex and m.group("at") else m.start()
            cues.append(Cue(op, at, end=m.end()))
    for metric, rx in METRIC_WORDS:
        for m in re.finditer(rx, text):
            cues.append(Cue("score", m.start(), {"metric": metric}, end=m.end()))
    # a generic word ("score", "performance") is accuracy only when no metric is named
    named = [c for c in cues if c.op == "score" and not _generic(text[c.pos:c.end])]
    if named:
        cues = [c for c in cues if not (c.op == "score" and _generic(text[c.pos:c.end]))]
    # overlapping metric matches ("area under the roc curve" is one roc_auc)
    cues.sort(key=lambda c: (c.pos, -(c.end - c.pos)))
    kept: list[Cue] = []
    for c in cues:
        if c.op == "score" and any(k.op == "score" and k.pos <= c.pos < k.end for k in kept):
            continue
        kept.append(c)
    cues = kept
    bounds = clauses(text)

    def clause_of(pos: int) -> int:
        for i, (a, b) in enumerate(bounds):
            if a <= pos < b:
                return i
        return -1

    # absorption inside a clause, and across the whole question for a few dominant requests
    present = {}
    for c in cues:
        present.setdefault(clause_of(c.pos), set()).add(c.op)
    out = []
    for c in cues:
        k = clause_of(c.pos)
        ops_here = present.get(k, set())
        if any(c.op in ABSORBS.get(o, ()) for o in ops_here if o != c.op):
            continue
        if c.op in WEAK and any(o not in WEAK and o not in ("count", "repeat", "capabilities")
                                and o not in ABSORBS.get(c.op, ()) for o in ops_here):
            continue
        out.append(c)
    # "predicted vs actual": both, side by side
    m = PRED_VS_ACTUAL.search(text)
    if m and not any(c.op == "predict" for c in out):
        out.append(Cue("predict", m.start(), end=m.start(1)))
        out.sort(key=lambda c: c.pos)
    return out


PRED_VS_ACTUAL = re.compile(r"\bpredict\w*( (?:vs\.?|versus|and|or|compared (?:to|with)|against) (?:the )?"
                            r"(?:actual|real|true|truth|reality|correct)\b)")
